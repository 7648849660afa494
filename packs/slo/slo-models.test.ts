import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../platform/ingest/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { buildProject } from '../../platform/transforms/build-project.ts';
import { MODEL_GENERATORS } from '../index.ts';
import { EVENT_COLUMNS } from '../../kernel/warehouse/index.ts';

const LATEST = Date.parse('2026-11-20T12:00:00Z');
const MINUTE = 60_000;

/** `count` requests of a flow at `at`, of which `errors` answered 500 and `slow` took 2 s. */
function requests(tenant: string, flow: string, at: number, count: number, errors = 0, slow = 0): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    specversion: '1.0',
    id: `${tenant}-${flow}-${at}-${i}`,
    source: '/companyos/api',
    type: 'api.requests_total',
    time: new Date(at + (i % 60) * 1000).toISOString(),
    tenantid: tenant,
    policyversion: 'self-metering/v1',
    flowtype: flow,
    data: {
      route: '/v1/entities',
      method: 'POST',
      status: i < errors ? 500 : 201,
      outcome: i < errors ? 'error' : 'ok',
      latency_ms: i >= errors && i < errors + slow ? 2000 : 12.5,
    },
  }));
}

describe.each(TEST_ENGINES)('SLO models on %s', (engine) => {
  const db = useWarehouse(engine);

  it('computes the SLI, the budget left and the burn rate per window from known request outcomes', async () => {
    const events = [
      // The latest five minutes: 100 requests, 5 server errors and 5 too slow.
      ...requests('acme', 'create-entity', LATEST + MINUTE, 100, 5, 5),
      // 50 minutes earlier: 100 good ones. Two days earlier: 1,000 good ones.
      ...requests('acme', 'create-entity', LATEST - 50 * MINUTE, 100),
      ...requests('acme', 'create-entity', LATEST - 2 * 1440 * MINUTE, 1000),
      ...requests('globex', 'create-entity', LATEST + MINUTE, 40),
      // A flow without an SLO is not measured.
      ...requests('acme', 'GET /v1/entities', LATEST + MINUTE, 30, 30),
    ];
    const result = await new IngestPipeline(db.warehouse).ingest(events, { channel: 'http', submitter: 'summit-internal' });
    expect(result.accepted).toBe(events.length);
    const report = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: `${db.harness.dataDir}/target`, select: ['+slo_status'], tenant: 'summit-internal', trigger: 'cli' });
    expect(report.results.filter((r) => r.status !== 'success').map((r) => `${r.model}: ${r.message}`)).toEqual([]);

    const rows = await db.warehouse.query('SELECT * FROM slo_status ORDER BY tenant_id, slo');
    expect(rows.map((r) => [r.tenant_id, r.slo])).toEqual([['acme', 'create-entity'], ['globex', 'create-entity']]);
    const [acme, globex] = rows;
    const close = (value: unknown, expected: number) => expect(Number(value)).toBeCloseTo(expected, 6);
    expect((acme!.evaluated_at as Date).toISOString()).toBe('2026-11-20T12:05:00.000Z');
    expect([Number(acme!.total_requests), Number(acme!.bad_requests)]).toEqual([1200, 10]);
    close(acme!.sli, 1 - 10 / 1200);
    close(acme!.error_budget_remaining, 1 - 10 / 1200 / 0.005);
    // Burn rate = error ratio / (1 − target): 10 bad of 100 over 5 and 30 minutes; of 200 over 1 h to 1 d; of 1,200 over 3 d.
    close(acme!.burn_rate_5m, 20);
    close(acme!.burn_rate_30m, 20);
    close(acme!.burn_rate_1h, 10);
    close(acme!.burn_rate_6h, 10);
    close(acme!.burn_rate_1d, 10);
    close(acme!.burn_rate_3d, 10 / 1200 / 0.005);
    // Page: 14.4× over 1h and 5m (no: 10), or 6× over 6h and 30m (yes). Ticket: 3× over 1d and 2h (yes).
    expect([Number(acme!.page), Number(acme!.ticket)]).toEqual([1, 1]);
    close(globex!.burn_rate_5m, 0);
    expect([Number(globex!.page), Number(globex!.ticket)]).toEqual([0, 0]);
  });

  it('counts a request whose latency is missing or not a number as not good, in its own tenant only: it cannot be shown within the bound', async () => {
    const [missing, text, quoted, fast] = requests('acme', 'create-entity', LATEST, 4);
    delete (missing!.data as Record<string, unknown>).latency_ms;
    (text!.data as Record<string, unknown>).latency_ms = 'fast';
    (quoted!.data as Record<string, unknown>).latency_ms = '12.5';
    // Another tenant's requests in the same windows, in the same shared build.
    const events = [missing!, text!, quoted!, fast!, ...requests('globex', 'create-entity', LATEST, 3)];
    expect((await new IngestPipeline(db.warehouse).ingest(events, { channel: 'http', submitter: 'summit-internal' })).accepted).toBe(7);
    const report = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: `${db.harness.dataDir}/target`, select: ['slo_request_windows'], tenant: 'summit-internal', trigger: 'cli' });
    expect(report.results.filter((r) => r.status !== 'success').map((r) => `${r.model}: ${r.message}`)).toEqual([]);
    const windows = await db.warehouse.query('SELECT tenant_id, sum(total) AS total, sum(good) AS good FROM slo_request_windows GROUP BY tenant_id ORDER BY tenant_id');
    // A latency is a JSON number; a string that spells one is not (the platform writes numbers).
    expect(windows.map((w) => [w.tenant_id, Number(w.total), Number(w.good)])).toEqual([['acme', 4, 1], ['globex', 3, 3]]);
  });

  it('recomputes the windows that requests stored since the last build fall in, late ones and copies too, to what a full build gives', async () => {
    const pipeline = new IngestPipeline(db.warehouse);
    const ingest = async (events: Record<string, unknown>[], receivedAt: string) =>
      expect((await pipeline.ingest(events, { channel: 'http', submitter: 'summit-internal', receivedAt: new Date(receivedAt) })).accepted).toBe(events.length);
    const build = async (fullRefresh = false) => {
      const report = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: `${db.harness.dataDir}/target`, select: ['+slo_status'], tenant: 'summit-internal', trigger: 'cli', fullRefresh });
      expect(report.results.filter((r) => r.status !== 'success').map((r) => `${r.model}: ${r.message}`)).toEqual([]);
      return new Map(report.results.map((r) => [r.model, r.message]));
    };
    const windows = async () => (await db.warehouse.query(`SELECT * FROM ${db.warehouse.dialect.deduplicated('slo_request_windows')}`))
      .map((r) => `${(r.window_start as Date).toISOString()}|${r.tenant_id}|${r.flow}|${r.total}|${r.good}|${(r.last_ingested_at as Date).toISOString()}`).sort();
    await ingest([...requests('acme', 'create-entity', LATEST - 50 * MINUTE, 100), ...requests('globex', 'create-entity', LATEST, 40)], '2026-11-22T12:00:00Z');
    // As releases before it built the windows: a table without last_ingested_at, merged on nothing. Built again, not merged into.
    await db.warehouse.materialize('slo_request_windows', 'table', 'SELECT time AS window_start, tenant_id, type AS flow, 1 AS total, 1 AS good FROM events LIMIT 1');
    expect((await build()).get('slo_request_windows')).toBe('table rebuilt: its columns changed since it was built');

    // Received at 11:30, stored after the build: 10 failures in a window already built (DuckDB stamps them after the
    // model's watermark, ClickHouse keeps their receipt and reads back an hour); then a new window and a new tenant.
    await ingest(requests('acme', 'create-entity', LATEST - 50 * MINUTE + 30_000, 10, 10).map((e) => ({ ...e, id: `late-${e.id as string}` })), '2026-11-22T11:30:00Z');
    await ingest([...requests('acme', 'create-entity', LATEST + 6 * MINUTE, 20, 0, 3), ...requests('initech', 'approval', LATEST, 5, 1)], '2026-11-22T12:10:00Z');
    if (engine === 'clickhouse') {
      // Two writers raced past the dedupe: requests stored a second time, later. Counted once.
      const copied = EVENT_COLUMNS.map((c) => (c === 'ingested_at' ? 'ingested_at + 60' : c)).join(', ');
      await db.warehouse.execute(`INSERT INTO events (${EVENT_COLUMNS.join(', ')}) SELECT ${copied} FROM events WHERE type = 'api.requests_total' AND tenant_id = 'globex'`);
    }
    const incremental = await build();
    expect(incremental.get('slo_request_windows')).toBe('merged');
    const recomputed = await windows();
    expect(recomputed.filter((w) => w.includes('|acme|create-entity|110|100|'))).toHaveLength(1);
    expect(recomputed.filter((w) => w.includes('|globex|create-entity|40|40|'))).toHaveLength(1);
    await build(true);
    expect(recomputed).toEqual(await windows());
  });
});
