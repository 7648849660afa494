import { CloudEvent, HTTP, Kafka as CloudEventsKafka } from 'cloudevents';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { IngestPipeline, KafkaEventPublisher, KafkaIngestConsumer } from '../platform/ingest/index.ts';
import { apiHarness, useApi } from './support/api.ts';
import { TEST_ENGINES, useWarehouse } from './support/engines.ts';
import { cloudEvent } from './support/events.ts';
import { kafkaBrokers, readTopic, uniqueTopic } from './support/kafka.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * CloudEvents over Kafka, produced by the official `cloudevents` SDK's Kafka
 * binding and consumed by our consumer: binary mode (`ce_` headers, the value
 * is the data) and structured mode land the same event; a mode the consumer
 * does not read goes to the DLQ and quarantine with its reason.
 */
describe.runIf(inject('kafkaBrokers')).each(TEST_ENGINES)('CloudEvents content modes over Kafka into %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);
  const running: KafkaIngestConsumer[] = [];
  let acme: string;
  beforeEach(async () => {
    acme = await server.api.token('acme');
  });
  const pipelines: IngestPipeline[] = [];
  /** Failures of the screening thread: none may happen, or a test would pass on the fallback alone. */
  const fallbacks: unknown[] = [];
  afterEach(async () => {
    for (const consumer of running.splice(0)) await consumer.stop();
    for (const pipeline of pipelines.splice(0)) await pipeline.close();
    expect(fallbacks.splice(0)).toEqual([]);
  });

  const consume = async (topic: string) => {
    // Headers travel to the screening thread as text: binary mode is read there, as on a platform with two cores.
    const pipeline = new IngestPipeline(db.warehouse, { screenOnWorker: true, onScreenFallback: (error) => fallbacks.push(error) });
    pipelines.push(pipeline);
    const consumer = new KafkaIngestConsumer(pipeline, {
      brokers: [kafkaBrokers()], topics: [topic], groupId: `group-${topic}`, submitter: 'acme', sessionTimeoutMs: 6_000,
    });
    running.push(consumer);
    await consumer.start();
  };
  const send = async (topic: string, messages: Message[]) => {
    const producer = new Kafka({ clientId: 'cloudevents-sdk-test', brokers: [kafkaBrokers()], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  };
  /**
   * A message as the SDK's Kafka binding made it, for kafkajs: headers the SDK
   * leaves undefined (unset attributes) are left out, and an object `value`
   * (JSON data in binary mode) is serialized, since kafkajs sends only bytes.
   */
  const asKafkajs = (message: ReturnType<typeof CloudEventsKafka.binary>): Message => ({
    key: 'acme',
    value: typeof message.value === 'object' && !(message.value instanceof Uint8Array) ? JSON.stringify(message.value) : (message.value as string | Buffer),
    headers: Object.fromEntries(Object.entries(message.headers).filter(([, v]) => v !== undefined)) as Record<string, string>,
  });
  const sdkEvent = (id: string, fields: Record<string, unknown>) =>
    new CloudEvent({
      id, source: 'urn:companyos:kafka-sdk-test', type: 'policy.decisions_total', time: '2026-11-20T12:00:00Z',
      subject: 'gateway/eu-1', tenantid: 'acme', policyversion: 'v7', plan: 'pro', ...fields,
    });
  const readBack = async () =>
    (await server.api.app.inject({ url: '/v1/events?limit=100', headers: { authorization: `Bearer ${acme}` } })).json().events as Record<string, unknown>[];
  const withoutId = (events: Record<string, unknown>[], id: string) => {
    const event = { ...events.find((candidate) => candidate.id === id)! };
    delete event.id;
    return event;
  };

  const payloads: [string, Record<string, unknown>][] = [
    ['JSON data', { datacontenttype: 'application/json', data: { value: 3, labels: ['a'] } }],
    ['string data as text/plain', { datacontenttype: 'text/plain', data: 'hello, Zürich' }],
    ['binary data', { datacontenttype: 'application/octet-stream', data: Buffer.from([0, 1, 2, 254, 255]) }],
  ];

  it('lands the SDK\'s binary-mode and structured-mode messages as the same events, read back alike', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic();
    const messages = payloads.flatMap(([, fields], i) => [
      asKafkajs(CloudEventsKafka.binary(sdkEvent(`binary-${i}`, fields))),
      asKafkajs(CloudEventsKafka.structured(sdkEvent(`structured-${i}`, fields))),
    ]);
    expect(messages[0]!.headers).toMatchObject({ ce_specversion: '1.0', ce_id: 'binary-0', ce_tenantid: 'acme', 'content-type': 'application/json' });
    expect(messages[1]!.headers).toEqual({ 'content-type': 'application/cloudevents+json; charset=utf-8' });
    // And what CompanyOS producers sent before: structured JSON without headers.
    await send(topic, [...messages, { key: 'acme', value: JSON.stringify(cloudEvent({ id: 'legacy' })) }]);
    await consume(topic);
    await waitFor(async () => (await readBack()).length === payloads.length * 2 + 1, 'every event');

    const events = await readBack();
    for (const [i, [, fields]] of payloads.entries()) {
      expect(withoutId(events, `binary-${i}`)).toEqual(withoutId(events, `structured-${i}`));
      const expected = JSON.parse(JSON.stringify(sdkEvent(`binary-${i}`, fields)));
      expect(events.find((e) => e.id === `binary-${i}`)).toEqual({ ...expected, time: expect.stringMatching(/^2026-11-20T12:00:00(\.000)?Z$/) });
    }
    expect(events.find((e) => e.id === 'binary-2')!.data_base64).toBe(Buffer.from([0, 1, 2, 254, 255]).toString('base64'));
  });

  it('sends unsupported modes and invalid binary-mode events to the DLQ and quarantine with their reason, and keeps flowing', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic();
    const valid = asKafkajs(CloudEventsKafka.binary(sdkEvent('ok', payloads[0]![1])));
    const noTenant = CloudEventsKafka.binary(sdkEvent('no-tenant', payloads[0]![1]));
    delete (noTenant.headers as Record<string, unknown>).ce_tenantid;
    const poison: Message[] = [
      { key: 'acme', value: JSON.stringify([cloudEvent({ id: 'in-a-batch' })]), headers: { 'content-type': 'application/cloudevents-batch+json' } },
      { key: 'acme', value: 'Obj\u0001avro', headers: { 'content-type': 'application/cloudevents+avro' } },
      asKafkajs(noTenant),
      { ...valid, value: '{"value": oops', headers: { ...valid.headers, ce_id: 'not-json' } },
    ];
    await send(topic, [...poison, valid]);
    await consume(topic);
    await waitFor(async () => (await readBack()).length === 1, 'the valid event behind the poison');

    const reasons = ['EVENT_MODE_UNSUPPORTED', 'EVENT_MODE_UNSUPPORTED', 'EVENT_MISSING_TENANT', 'EVENT_NOT_JSON'];
    const dead = await readTopic(`${topic}.dlq`, poison.length);
    expect(dead.map((m) => m.headers['companyos-reason-code'])).toEqual(reasons);
    expect(dead.map((m) => m.value)).toEqual(poison.map((m) => String(m.value)));
    expect(dead[2]!.headers).toMatchObject({ ce_id: 'no-tenant', 'content-type': 'application/json' });
    const parked = await db.warehouse.query('SELECT reason_code FROM events_quarantine ORDER BY batch_index');
    expect(parked.map((r) => r.reason_code)).toEqual(reasons);
  });

  it('carries an HTTP binary-mode event through Kafka ingest mode (publish, consume) to the same stored event', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic();
    const producerSide = await apiHarness(db.warehouse, { publishTo: { brokers: [kafkaBrokers()], topic } });
    try {
      const event = sdkEvent('via-kafka', { datacontenttype: 'application/octet-stream', data: Buffer.from([9, 8, 7]) });
      const message = HTTP.binary(event);
      const response = await producerSide.app.inject({
        method: 'POST', url: '/v1/events', headers: { ...(message.headers as Record<string, string>), authorization: `Bearer ${acme}` },
        payload: message.body as Buffer,
      });
      expect(response.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    } finally {
      await producerSide.app.close();
    }
    await consume(topic);
    await waitFor(async () => (await readBack()).length === 1, 'the published event');
    expect((await readBack())[0]).toMatchObject({ id: 'via-kafka', datacontenttype: 'application/octet-stream', data_base64: 'CQgH' });
  });

  it('publishes (Kafka ingest mode) in structured mode, with the content-type header that says so', async () => {
    const topic = uniqueTopic();
    const publisher = new KafkaEventPublisher([kafkaBrokers()], topic);
    try {
      await publisher.publish([cloudEvent({ id: 'published' }) as never]);
    } finally {
      await publisher.close();
    }
    const [message] = await readTopic(topic, 1);
    expect(message!.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(JSON.parse(message!.value)).toMatchObject({ id: 'published', tenantid: 'acme' });
  });
});
