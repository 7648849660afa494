import { describe, expect, inject, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { uniqueTopic } from '../../test/support/kafka.ts';
import { waitFor } from '../../test/support/wait-for.ts';

describe.runIf(inject('kafkaBrokers')).each(TEST_ENGINES)('Kafka ingest mode on %s', (engine) => {
  const brokers = [inject('kafkaBrokers')!];
  const topic = uniqueTopic('api');
  const db = useWarehouse(engine);
  const server = useApi(db, {
    publishTo: { brokers, topic },
    kafka: { brokers, topics: [topic], groupId: `g-${topic}`, submitter: 'acme', sessionTimeoutMs: 6_000 },
  });

  it('publishes valid events, parks invalid ones at once, and a producer retry stores nothing twice', { timeout: 60_000 }, async () => {
    const token = await server.api.token('acme');
    const post = (batch: unknown[]) =>
      server.api.app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents-batch+json' },
        payload: JSON.stringify(batch),
      });
    const stored = async () =>
      (await server.api.app.inject({ url: '/v1/events/stats', headers: { authorization: `Bearer ${token}` } })).json().total as number;
    const duplicatesConsumed = async () =>
      Number(/companyos_events_total\{outcome="duplicate",channel="kafka"\} (\d+)/.exec((await server.api.app.inject('/metrics')).body)?.[1] ?? 0);

    const first = await post([cloudEvent({ id: 'a' }), cloudEvent({ id: 'a' }), cloudEvent({ id: 'b', tenantid: undefined })]);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ accepted: 2, duplicates: 0, rejected: [{ index: 2, code: 'EVENT_MISSING_TENANT' }] });
    const parked = await server.api.app.inject({ url: '/v1/quarantine', headers: { authorization: `Bearer ${token}` } });
    expect(parked.json().items).toHaveLength(1);

    await waitFor(async () => (await stored()) === 1 && (await duplicatesConsumed()) === 1, 'the consumer to land the published events');
    // A producer that lost its ack sends again: the event is published twice, stored once.
    expect((await post([cloudEvent({ id: 'a' })])).json()).toMatchObject({ accepted: 1 });
    await waitFor(async () => (await duplicatesConsumed()) === 2, 'the retried event to be consumed');
    expect(await stored()).toBe(1);
  });
});
