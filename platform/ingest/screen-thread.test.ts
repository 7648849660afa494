import { afterEach, describe, expect, it } from 'vitest';
import { dedupeDigest, unpackDigests } from '../../kernel/dedupe/index.ts';
import { EVENT_COLUMNS } from '../../kernel/warehouse/index.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { MAX_JSON_DEPTH } from './json-depth.ts';
import { screenEvents, type ScreenedBatch } from './screen-events.ts';
import { kafkaCandidate } from './kafka/kafka-message.ts';
import { ScreenThread } from './screen-thread.ts';

const MAX_BYTES = 4096;
const context = { channel: 'kafka' as const, submitter: 'acme', receivedAt: new Date('2026-12-07T08:00:00Z') };

/** Every kind of message a topic carries: valid, structured and binary mode, and each way of being refused. */
const messages = [
  { value: Buffer.from(JSON.stringify(cloudEvent({ id: 'plain' }))), headers: {} },
  { value: Buffer.from(JSON.stringify(cloudEvent({ id: 'structured', tenantid: 'globex' }))), headers: { 'content-type': Buffer.from('application/cloudevents+json') } },
  {
    value: Buffer.from('{"value":7}'),
    headers: { ce_specversion: '1.0', ce_id: 'binary', ce_source: 'urn:s', ce_type: 'usage.recorded', ce_tenantid: 'acme', ce_policyversion: 'v1', 'content-type': 'application/json' },
  },
  { value: Buffer.from('{"not json'), headers: {} },
  { value: null, headers: {} },
  { value: Buffer.from(JSON.stringify(cloudEvent({ id: 'big', data: 'x'.repeat(MAX_BYTES) }))), headers: {} },
  { value: Buffer.from(`${'['.repeat(MAX_JSON_DEPTH + 5)}${']'.repeat(MAX_JSON_DEPTH + 5)}`), headers: {} },
  { value: Buffer.from(JSON.stringify(cloudEvent({ id: 'no-tenant', tenantid: undefined }))), headers: {} },
  { value: Buffer.from('{}'), headers: { 'content-type': 'application/cloudevents+xml' } },
  { value: Buffer.from(JSON.stringify(cloudEvent({ id: 'ünïcode', subject: 'naïve 😀' }))), headers: {} },
  // Huge numbers, as a producer's text carries them: beyond a double, and an integer of 40 digits.
  { value: Buffer.from(JSON.stringify(cloudEvent({ id: 'huge', tenantid: 'globex' })).replace('"data":{"value":1}', '"data":{"big":1e400,"wide":1234567890123456789012345678901234567890}')), headers: {} },
];

/** Quarantine rows carry a fresh id each: compared without it. */
function comparable({ rows, indices, rejected, parked }: ScreenedBatch) {
  return { rows, indices, rejected, parked: parked.map(([tenant, , ...rest]) => [tenant, ...rest]) };
}

describe('screening Kafka batches on a worker thread', () => {
  const threads: ScreenThread[] = [];
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((thread) => thread.close()));
  });

  it('gives what screening on this thread gives, for every kind of message', async () => {
    const fallbacks: unknown[] = [];
    const thread = new ScreenThread((error) => fallbacks.push(error));
    threads.push(thread);
    const inline = await screenEvents(messages.map((message) => kafkaCandidate(message, MAX_BYTES)), context);
    const onWorker = await thread.screenMessages(messages, MAX_BYTES, { context });

    expect(fallbacks).toEqual([]);
    expect(comparable(onWorker)).toEqual(comparable(inline));
    expect(onWorker.indices).toEqual([0, 1, 2, 9, 10]);
    expect(onWorker.rejected.map((r) => r.code)).toEqual(['EVENT_NOT_JSON', 'EVENT_NOT_JSON', 'EVENT_TOO_LARGE', 'EVENT_TOO_DEEP', 'EVENT_MISSING_TENANT', 'EVENT_MODE_UNSUPPORTED']);
    expect(onWorker.rows[3]![5]).toBe('naïve 😀');
    expect(onWorker.rows[4]![12]).toBe('{"big":null,"wide":1.2345678901234568e+39}');
    expect(onWorker.rows[0]![15]).toEqual(context.receivedAt);
  });

  it('digests the rows\' keys when asked, as the warehouse would', async () => {
    const thread = new ScreenThread();
    threads.push(thread);
    const digestKey = ['tenant_id', 'source', 'id'].map((column) => EVENT_COLUMNS.indexOf(column));
    const result = await thread.screenMessages(messages, MAX_BYTES, { context, digestKey });

    expect(result.digests).toHaveLength(5 * 16);
    expect(unpackDigests(result.digests!).map((d) => Buffer.from(d).toString('hex'))).toEqual(
      result.rows.map((row) => dedupeDigest([String(row[0]), String(row[1]), String(row[2])]).toString('hex')),
    );
  });

  it('answers concurrent batches each with its own result', async () => {
    const thread = new ScreenThread();
    threads.push(thread);
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: 300 }, (_, i) => ({ value: Buffer.from(JSON.stringify(cloudEvent({ id: `b${b}-${i}` }))), headers: {} })),
    );
    const results = await Promise.all(batches.map((batch) => thread.screenMessages(batch, MAX_BYTES, { context })));
    results.forEach((result, b) => expect(result.rows.map((row) => row[2])).toEqual(batches[b]!.map((_, i) => `b${b}-${i}`)));
  });

  it('screens a batch on this thread when the worker dies with it, and says so', async () => {
    const fallbacks: unknown[] = [];
    const thread = new ScreenThread((error) => fallbacks.push(error), new URL('./fixtures/dying-screen-worker.ts', import.meta.url));
    threads.push(thread);
    const inline = await screenEvents(messages.map((message) => kafkaCandidate(message, MAX_BYTES)), context);
    const result = await thread.screenMessages(messages, MAX_BYTES, { context });

    expect(comparable(result)).toEqual(comparable(inline));
    expect(fallbacks).toHaveLength(1);
    expect(String(fallbacks[0])).toMatch(/exited \(code 3\)/);
  });

  it('screens a batch on this thread when closed while the batch is in the worker', async () => {
    const fallbacks: unknown[] = [];
    const thread = new ScreenThread((error) => fallbacks.push(error));
    const big = Array.from({ length: 20_000 }, (_, i) => ({ value: Buffer.from(JSON.stringify(cloudEvent({ id: `e${i}` }))), headers: {} }));
    const screening = thread.screenMessages(big, MAX_BYTES, { context });
    await thread.close();
    const result = await screening;

    expect(result.rows).toHaveLength(20_000);
    expect(fallbacks).toEqual([]);
  });
});
