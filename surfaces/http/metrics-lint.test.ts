import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findPromtool } from '../../dev/promtool.ts';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { PlatformMetrics } from '../../platform/metrics/metrics.ts';

/** `promtool check metrics` on an exposition: its exit code and every lint problem it lists. */
function promtoolCheck(exposition: string): { status: number | null; problems: string } {
  const promtool = findPromtool();
  if (!promtool) throw new Error('promtool is not available (dev/promtool.ts could neither find nor unpack it)');
  const checked = spawnSync(promtool, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: checked.status, problems: (checked.stdout + checked.stderr).trim() };
}

describe.each(TEST_ENGINES)('/metrics on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  it('passes `promtool check metrics` with no lint problem after ingest, gated calls and errors', async () => {
    const writer = await server.api.token('acme');
    const alice = await server.api.principal('alice', 'acme', 'operator');
    const ingested = await server.api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      payload: JSON.stringify([cloudEvent({ id: 'a' }), cloudEvent({ id: 'a' }), cloudEvent({ id: 'b', type: undefined })]),
    });
    expect(ingested.statusCode).toBe(202);
    const created = await server.api.app.inject({
      method: 'POST',
      url: '/v1/entities',
      headers: { authorization: `Bearer ${alice}` },
      payload: { type: 'Asset', name: 'build-runner-7', attributes: {} },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect((await server.api.app.inject('/v1/nope')).statusCode).toBe(401);

    const exposition = (await server.api.app.inject('/metrics')).body;
    expect(exposition).toMatch(/^companyos_policy_decisions_total\{/m);
    expect(exposition).toMatch(/^companyos_receipts_appended_total\{/m);
    expect(promtoolCheck(exposition)).toEqual({ status: 0, problems: '' });
  });
});

describe('Kafka consumer metrics', () => {
  it('pass `promtool check metrics` with no lint problem once a batch is observed', async () => {
    const metrics = new PlatformMetrics();
    metrics.observeKafkaBatch({ topic: 'events', partition: 0, lag: 3, ms: 12, lastOffset: '41', result: { accepted: 2, duplicates: 1, rejected: [] } });
    const exposition = await metrics.registry.metrics();
    expect(exposition).toMatch(/^companyos_kafka_consumer_lag\{/m);
    expect(exposition).toMatch(/^companyos_kafka_batches_total\{/m);
    expect(promtoolCheck(exposition)).toEqual({ status: 0, problems: '' });
  });
});
