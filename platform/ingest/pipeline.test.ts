import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { IngestPipeline, UnparsedEvent } from './pipeline.ts';

const http = { channel: 'http', submitter: 'acme' } as const;

describe.each(TEST_ENGINES)('ingest pipeline on %s', (engine) => {
  const db = useWarehouse(engine);
  const pipeline = () => new IngestPipeline(db.warehouse);

  const parked = () => db.warehouse.query('SELECT * FROM events_quarantine ORDER BY batch_index');
  const stored = () => db.warehouse.query('SELECT * FROM events ORDER BY id');

  it('accepts the new, counts the repeat once and parks the tenantless', async () => {
    const batch = [cloudEvent({ id: 'a' }), cloudEvent({ id: 'a' }), cloudEvent({ id: 'b', tenantid: undefined })];
    const result = await pipeline().ingest(batch, http);
    expect(result).toEqual({
      accepted: 1,
      duplicates: 1,
      rejected: [{ index: 2, id: 'b', code: 'EVENT_MISSING_TENANT', message: expect.stringContaining('tenantid') }],
    });
    expect(await stored()).toHaveLength(1);
    const [row] = await parked();
    expect(row).toMatchObject({ tenant_id: 'acme', channel: 'http', event_id: 'b', reason_code: 'EVENT_MISSING_TENANT' });
    expect(JSON.parse(row!.payload as string)).toEqual(batch[2]);
  });

  it('writes a Kafka batch screened on its worker thread as one screened on this thread', async () => {
    const fallbacks: unknown[] = [];
    const onWorker = new IngestPipeline(db.warehouse, { screenOnWorker: true, onScreenFallback: (error) => fallbacks.push(error) });
    try {
      const message = (event: Record<string, unknown>) => ({ value: Buffer.from(JSON.stringify(event)), headers: {} });
      const messages = Array.from({ length: 300 }, (_, i) => message(cloudEvent({ id: `w-${i % 200}` })));
      messages[7] = message(cloudEvent({ id: 'no-tenant', tenantid: undefined }));
      const context = { channel: 'kafka' as const, submitter: 'acme', receivedAt: new Date('2026-12-07T09:00:00.000Z') };
      const screened = await onWorker.screenMessages(messages, 1 << 20, context);
      expect(screened.digests).toHaveLength(299 * 16);
      const result = await onWorker.store(screened, context, () => undefined);
      expect(fallbacks).toEqual([]);
      expect(result).toMatchObject({ accepted: 200, duplicates: 99 });
      expect(result.rejected.map((r) => [r.index, r.code])).toEqual([[7, 'EVENT_MISSING_TENANT']]);
      // The worker's digests dedupe against keys written on this thread, and the other way round.
      expect(await pipeline().ingest([cloudEvent({ id: 'w-0' }), cloudEvent({ id: 'new' })], http)).toMatchObject({ accepted: 1, duplicates: 1 });
      const again = await onWorker.screenMessages([message(cloudEvent({ id: 'new' })), message(cloudEvent({ id: 'newer' }))], 1 << 20, context);
      expect(await onWorker.store(again, context, () => undefined)).toMatchObject({ accepted: 1, duplicates: 1 });
      const rows = await db.warehouse.query<{ ingested_at: Date }>("SELECT ingested_at FROM events WHERE id = 'w-1'");
      expect(rows.map((r) => r.ingested_at.toISOString())).toEqual([context.receivedAt.toISOString()]);
      expect(await parked()).toHaveLength(1);
    } finally {
      await onWorker.close();
    }
  });

  it('after a restart the same batch is all duplicates, and the bad one is parked again', async () => {
    const batch = [cloudEvent({ id: 'a' }), cloudEvent({ id: 'a' }), cloudEvent({ id: 'b', tenantid: undefined })];
    await pipeline().ingest(batch, http);
    await db.reopen();
    const result = await pipeline().ingest(batch, http);
    expect(result).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(result.rejected).toHaveLength(1);
    expect(await stored()).toHaveLength(1);
  });

  it.each([
    ['specversion', 'EVENT_MISSING_SPECVERSION', { specversion: undefined }],
    ['a wrong specversion', 'EVENT_BAD_SPECVERSION', { specversion: '0.3' }],
    ['id', 'EVENT_MISSING_ID', { id: undefined }],
    ['source', 'EVENT_MISSING_SOURCE', { source: undefined }],
    ['type', 'EVENT_MISSING_TYPE', { type: undefined }],
    ['tenantid', 'EVENT_MISSING_TENANT', { tenantid: undefined }],
    ['a malformed tenantid', 'EVENT_INVALID_TENANT', { tenantid: 'Acme Corp' }],
    ['policyversion', 'EVENT_MISSING_POLICY_VERSION', { policyversion: undefined }],
    ['a non-RFC 3339 time', 'EVENT_INVALID_TIME', { time: '20/11/2026 12:00' }],
    ['a time without zone', 'EVENT_INVALID_TIME', { time: '2026-11-20T12:00:00' }],
    ['data over 64 KiB', 'EVENT_DATA_TOO_LARGE', { data: { blob: 'x'.repeat(64 * 1024) } }],
    ['an extension with an illegal name', 'EVENT_INVALID_ATTRIBUTE', { Tenant_ID: 'acme' }],
  ])('parks an event with %s as %s and keeps the valid ones beside it', async (_what, code, overrides) => {
    const result = await pipeline().ingest([cloudEvent({ id: 'ok-1' }), cloudEvent({ id: 'bad', ...overrides }), cloudEvent({ id: 'ok-2' })], http);
    expect(result.accepted).toBe(2);
    expect(result.rejected).toEqual([expect.objectContaining({ index: 1, code })]);
    expect((await parked())[0]).toMatchObject({ reason_code: code, batch_index: 1 });
  });

  it('parks things that are not events: arrays, strings, unparsed lines', async () => {
    const result = await pipeline().ingest([[1], 'text', new UnparsedEvent('{oops', 'Unexpected token o')], http);
    expect(result.rejected.map((r) => r.code)).toEqual(['EVENT_NOT_OBJECT', 'EVENT_NOT_OBJECT', 'EVENT_NOT_JSON']);
    expect((await parked()).map((r) => r.payload)).toEqual(['[1]', '"text"', '{oops']);
  });

  it('stores attributes in their columns, other extensions as JSON, and defaults time to receipt', async () => {
    const receivedAt = new Date('2026-11-21T00:00:00.000Z');
    await pipeline().ingest(
      [cloudEvent({ id: 'x', time: undefined, feature: 'routing', flowtype: 'lead', slatier: 'gold', region: 'eu', data: { n: '1.50' } })],
      { ...http, receivedAt },
    );
    const [row] = await stored();
    expect(row).toMatchObject({
      tenant_id: 'acme', source: 'urn:companyos:test', id: 'x', policy_version: 'v7', plan: 'pro',
      feature: 'routing', flow_type: 'lead', sla_tier: 'gold', time: receivedAt, ingested_at: receivedAt, channel: 'http',
    });
    expect(JSON.parse(row!.extensions as string)).toEqual({ region: 'eu' });
    expect(JSON.parse(row!.data as string)).toEqual({ n: '1.50' });
  });

  it('keeps tenants apart: the same source and id under two tenants are two events', async () => {
    const result = await pipeline().ingest([cloudEvent({ id: 'same' }), cloudEvent({ id: 'same', tenantid: 'globex' })], {
      channel: 'file',
      submitter: 'acme',
    });
    expect(result.accepted).toBe(2);
  });
});
