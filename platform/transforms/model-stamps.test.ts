import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../kernel/ids/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { IngestPipeline } from '../ingest/index.ts';
import { compileProject } from './compile-project.ts';
import { forgetModelStates } from './model-stamps.ts';
import { DuckDBStateStore, ensureStateSchema } from '../../kernel/state/index.ts';
import { JOB_LEASES_TABLE, JobLeases } from '../jobs/index.ts';
import { BuildGate } from './build-gate.ts';
import { ModelRefresh } from './model-refresh.ts';
import { RAW_SOURCES } from './raw-sources.ts';
import { runProject, type RunOptions } from './run-project.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/stamped/', import.meta.url));
const TENANT = 'summit-internal';

describe.each(TEST_ENGINES)('models left as they are on %s', (engine) => {
  const db = useWarehouse(engine);
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  let received = Date.parse('2026-11-22T10:00:00Z');
  const ingest = (events: Record<string, unknown>[]) =>
    new IngestPipeline(db.warehouse).ingest(events, { channel: 'file', submitter: 'acme', receivedAt: new Date((received += 60_000)) });
  const copyProject = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stamped-'));
    dirs.push(dir);
    await cp(FIXTURE, dir, { recursive: true });
    return dir;
  };
  const build = async (dir: string, options: Partial<RunOptions> = {}) => {
    const results = await runProject(db.warehouse, await compileProject(dir, RAW_SOURCES), { stamps: { tenant: TENANT, runId: timeOrderedId() }, ...options });
    const failed = results.filter((r) => r.status !== 'success');
    expect(failed, JSON.stringify(failed)).toEqual([]);
    const short = (message: string) => (message.startsWith('unchanged') ? 'unchanged' : message.startsWith('view in place') ? 'in place' : message);
    return Object.fromEntries(results.map((r) => [r.model, short(r.message)]));
  };
  const plans = () => db.warehouse.query('SELECT tenant_id, plan FROM tenant_plans ORDER BY tenant_id, plan');
  // Where the engine gives no change token for raw tables (DuckDB), what reads one is rebuilt every time.
  const rawReaderAgain = engine === 'clickhouse' ? 'unchanged' : 'table built';
  // A view over one is left when its SQL is, and tested again unless what it reads has a stamp that did not change.
  const viewAgain = engine === 'clickhouse' ? 'unchanged' : 'in place';

  it('leaves what did not change, and stops at a table rebuilt the same', async () => {
    const dir = await copyProject();
    await ingest([cloudEvent({ id: 'a1' }), cloudEvent({ id: 'g1', tenantid: 'globex' })]);
    expect(await build(dir)).toEqual({ stg: 'view created', type_counts: 'table built', tenants_seen: 'table built', plans: 'seed loaded', tenant_plans: 'table built' });

    // Nothing new: nothing is built where the engine can tell the raw table is as it was.
    expect(await build(dir)).toEqual({ stg: viewAgain, type_counts: rawReaderAgain, tenants_seen: 'unchanged', plans: 'unchanged', tenant_plans: 'unchanged' });

    // A known tenant's event changes the counts, not the tenants: what reads the tenants is left.
    await ingest([cloudEvent({ id: 'a2' })]);
    expect(await build(dir)).toEqual({ stg: 'in place', type_counts: 'table built', tenants_seen: 'table built', plans: 'unchanged', tenant_plans: 'unchanged' });
    expect(await plans()).toEqual([{ tenant_id: 'acme', plan: 'pro' }, { tenant_id: 'globex', plan: 'pro' }]);

    // A new tenant changes the tenants: everything below is rebuilt.
    await ingest([cloudEvent({ id: 'i1', tenantid: 'initech' })]);
    expect(await build(dir)).toEqual({ stg: 'in place', type_counts: 'table built', tenants_seen: 'table built', plans: 'unchanged', tenant_plans: 'table built' });
    expect(await plans()).toEqual([{ tenant_id: 'acme', plan: 'pro' }, { tenant_id: 'globex', plan: 'pro' }, { tenant_id: 'initech', plan: 'pro' }]);
  });

  it('rebuilds what a changed definition, a missing table, a forgotten state or a full refresh names', async () => {
    const dir = await copyProject();
    await ingest([cloudEvent({ id: 'a1' })]);
    await build(dir);

    // A seed's rows and a model's SQL are their definitions.
    await writeFile(join(dir, 'plans.csv'), 'plan\npro\nteam\n');
    expect(await build(dir)).toMatchObject({ plans: 'seed loaded', tenant_plans: 'table built', tenants_seen: 'unchanged' });
    await writeFile(join(dir, 'tenants_seen.sql'), "/*---\nmaterialized: table\n---*/\nSELECT DISTINCT tenant_id FROM {{ ref('type_counts') }} c WHERE tenant_id != ''\n");
    expect(await build(dir)).toMatchObject({ tenants_seen: 'table built', tenant_plans: 'unchanged' });

    await db.warehouse.execute('DROP TABLE tenant_plans');
    expect(await build(dir)).toMatchObject({ tenant_plans: 'table built' });
    expect(await plans()).toEqual([{ tenant_id: 'acme', plan: 'pro' }, { tenant_id: 'acme', plan: 'team' }]);
    expect(await build(dir)).toMatchObject({ tenant_plans: 'unchanged' });

    await forgetModelStates(db.warehouse, TENANT, timeOrderedId(), ['tenants_seen']);
    expect(await build(dir)).toMatchObject({ tenants_seen: 'table built', tenant_plans: 'unchanged' });

    // Another tenant's states are its own.
    await forgetModelStates(db.warehouse, 'acme', timeOrderedId(), ['stg', 'plans', 'tenant_plans']);
    expect(await build(dir)).toMatchObject({ stg: viewAgain, plans: 'unchanged', tenant_plans: 'unchanged' });

    expect(Object.values(await build(dir, { fullRefresh: true }))).not.toContain('unchanged');
    expect(await build(dir)).toMatchObject({ stg: viewAgain, plans: 'unchanged', tenants_seen: 'unchanged', tenant_plans: 'unchanged' });
  });

  it('rebuilds a model whose SQL reads the clock or a table it does not name as a ref or source, and a view changed while unselected', async () => {
    const dir = await copyProject();
    await writeFile(join(dir, 'clocked.sql'), "/*---\nmaterialized: table\n---*/\nSELECT tenant_id, now() AS seen_at FROM {{ ref('tenants_seen') }} t\n");
    await writeFile(join(dir, 'bare_read.sql'), '/*---\nmaterialized: table\n---*/\nSELECT count(*) AS n FROM events\n');
    await ingest([cloudEvent({ id: 'a1' })]);
    await build(dir);
    expect(await build(dir)).toMatchObject({ clocked: 'table built', bare_read: 'table built', tenants_seen: 'unchanged' });

    // The view changes while only what reads it is built: that build read the view as it still stood.
    await writeFile(join(dir, 'stg.sql'), "/*---\nmaterialized: view\n---*/\nSELECT tenant_id, type FROM {{ source('raw', 'events') }} e WHERE type != 'none'\n");
    expect(await build(dir, { models: ['type_counts'] })).toEqual({ type_counts: 'table built' });
    expect(await build(dir)).toMatchObject({ stg: 'view created', type_counts: 'table built' });
  });

  it('rebuilds what a build wrote without recording it, and what gained a test', async () => {
    const dir = await copyProject();
    await ingest([cloudEvent({ id: 'a1' })]);
    await build(dir);
    const original = "/*---\nmaterialized: table\n---*/\nSELECT t.tenant_id AS tenant_id, p.plan AS plan FROM {{ ref('tenants_seen') }} t CROSS JOIN {{ ref('plans') }} p\n";
    await writeFile(join(dir, 'tenant_plans.sql'), original.replace('p.plan AS plan', "concat(p.plan, '!') AS plan"));
    expect(await build(dir, { mode: 'run' })).toMatchObject({ tenant_plans: 'table built' });
    // Back to the SQL of the last recorded state: the table holds what `run` wrote, so it is built again.
    await writeFile(join(dir, 'tenant_plans.sql'), original);
    expect(await build(dir)).toMatchObject({ tenant_plans: 'table built' });
    expect(await plans()).toEqual([{ tenant_id: 'acme', plan: 'pro' }]);

    await writeFile(join(dir, 'tenant_plans.sql'), original.replace('materialized: table\n', 'materialized: table\ncolumns:\n  plan:\n    tests: [not_null]\n'));
    expect(await build(dir)).toMatchObject({ tenant_plans: 'table built' });
    expect(await build(dir)).toMatchObject({ tenant_plans: 'unchanged' });
  });

  it('builds an incremental model whole when how its rows are computed changed, also after a build that forgot its state and stopped', async () => {
    const dir = await copyProject();
    const weighted = (factor: number, tests = '') => `/*---
materialized: incremental
unique_key: [tenant_id]${tests}
---*/
SELECT tenant_id, count(*) * ${factor} AS weighted, max(ingested_at) AS last_ingested_at
FROM {{ source('raw', 'events') }} e
{% if is_incremental() %}
WHERE tenant_id IN (SELECT tenant_id FROM {{ raw_rows('events') }} arrived WHERE arrived.ingested_at > (SELECT {{ watermark('last_ingested_at') }} FROM {{ this }}))
{% endif %}
GROUP BY tenant_id
`;
    const rows = async () => (await db.warehouse.query(`SELECT tenant_id, weighted FROM ${db.warehouse.dialect.deduplicated('weighted')}`))
      .map((r) => `${r.tenant_id}=${r.weighted}`).sort();
    await writeFile(join(dir, 'weighted.sql'), weighted(1));
    await ingest([cloudEvent({ id: 'a1' }), cloudEvent({ id: 'g1', tenantid: 'globex' })]);
    expect(await build(dir, { models: ['weighted'] })).toEqual({ weighted: 'table built' });
    await ingest([cloudEvent({ id: 'a2' })]);
    expect(await build(dir, { models: ['weighted'] })).toEqual({ weighted: 'merged' });
    expect(await rows()).toEqual(['acme=2', 'globex=1']);

    // A merge would recompute acme's row only, and leave globex's as the old SQL made it.
    await writeFile(join(dir, 'weighted.sql'), weighted(10));
    await ingest([cloudEvent({ id: 'a3' })]);
    expect(await build(dir, { models: ['weighted'] })).toEqual({ weighted: 'table rebuilt: its definition changed since it was built' });
    expect(await rows()).toEqual(['acme=30', 'globex=10']);

    // A build that forgot the state, then stopped before the model: the next still knows what made its rows.
    await writeFile(join(dir, 'weighted.sql'), weighted(100));
    let asked = 0;
    // The lease holds when the build starts (its states are forgotten), and has passed on when the model would write.
    const guard = () => (asked++ === 0 ? Promise.resolve() : Promise.reject(new Error('the lease passed on')));
    const stopped = await runProject(db.warehouse, await compileProject(dir, RAW_SOURCES), { models: ['weighted'], stamps: { tenant: TENANT, runId: timeOrderedId() }, guard });
    expect(stopped.map((r) => r.status)).toEqual(['error']);
    await ingest([cloudEvent({ id: 'a4' })]);
    expect(await build(dir, { models: ['weighted'] })).toEqual({ weighted: 'table rebuilt: its definition changed since it was built' });
    expect(await rows()).toEqual(['acme=400', 'globex=100']);

    // `run` records no state: the next build still knows what made the rows, and merges.
    await writeFile(join(dir, 'weighted.sql'), weighted(1000));
    expect(await build(dir, { models: ['weighted'], mode: 'run' })).toEqual({ weighted: 'table rebuilt: its definition changed since it was built' });
    await ingest([cloudEvent({ id: 'a5' })]);
    expect(await build(dir, { models: ['weighted'] })).toEqual({ weighted: 'merged' });
    expect(await rows()).toEqual(['acme=5000', 'globex=1000']);
    await writeFile(join(dir, 'weighted.sql'), weighted(100));

    // A test is not how rows are computed: merged again.
    expect(await build(dir, { models: ['weighted'] })).toEqual({ weighted: 'table rebuilt: its definition changed since it was built' });
    await writeFile(join(dir, 'weighted.sql'), weighted(100, '\ncolumns:\n  tenant_id:\n    tests: [not_null]'));
    await ingest([cloudEvent({ id: 'a6' })]);
    expect(await build(dir, { models: ['weighted'] })).toEqual({ weighted: 'merged' });
    expect(await rows()).toEqual(['acme=600', 'globex=100']);

    // A build that rewrote it with another definition and lost its lease before it recorded; the definition put back:
    // the rows are the other one's, so it is built whole.
    const tested = weighted(100, '\ncolumns:\n  tenant_id:\n    tests: [not_null]');
    await writeFile(join(dir, 'weighted.sql'), weighted(7));
    let checks = 0;
    const lostAtTheEnd = () => (++checks < 3 ? Promise.resolve() : Promise.reject(new Error('the lease passed on')));
    const unsaved = await runProject(db.warehouse, await compileProject(dir, RAW_SOURCES), { models: ['weighted'], stamps: { tenant: TENANT, runId: timeOrderedId() }, guard: lostAtTheEnd });
    expect(unsaved.map((r) => r.message)).toEqual(['table rebuilt: its definition changed since it was built']);
    expect(await rows()).toEqual(['acme=42', 'globex=7']);
    await writeFile(join(dir, 'weighted.sql'), tested);
    expect(await build(dir, { models: ['weighted'] })).toEqual({ weighted: 'table rebuilt: its definition changed since it was built' });
    expect(await rows()).toEqual(['acme=600', 'globex=100']);
  });

  it('builds whole a model put back from a snapshot its changed definition did not make', async () => {
    const dir = await copyProject();
    const sql = (factor: number) => `/*---\nmaterialized: incremental\nunique_key: [tenant_id]\n---*/\nSELECT tenant_id, count(*) * ${factor} AS n FROM {{ ref('type_counts') }} c GROUP BY tenant_id\n`;
    const state = await DuckDBStateStore.open(':memory:', [JOB_LEASES_TABLE]);
    try {
      await ensureStateSchema(state);
      const refresh = new ModelRefresh({ warehouse: db.warehouse, builds: new BuildGate(new JobLeases(state, { holder: 'here' })), generators: [], modelsDir: dir, targetDir: dir, tenant: TENANT });
      await writeFile(join(dir, 'per_tenant.sql'), sql(1));
      await ingest([cloudEvent({ id: 'a1' })]);
      await build(dir);
      await refresh.snapshot('per_tenant', 'per_tenant__snapshot');
      await writeFile(join(dir, 'per_tenant.sql'), sql(10));
      expect(await build(dir)).toMatchObject({ per_tenant: 'table rebuilt: its definition changed since it was built' });
      // The rows the first definition made are back: the next build builds it whole again.
      await refresh.restore('per_tenant', 'per_tenant__snapshot', ['tenant_id']);
      expect(await build(dir)).toMatchObject({ per_tenant: 'table rebuilt: its definition changed since it was built' });
      expect(await db.warehouse.query(`SELECT tenant_id, n FROM ${db.warehouse.dialect.deduplicated('per_tenant')}`)).toEqual([{ tenant_id: 'acme', n: 10 }]);
    } finally {
      await state.close();
    }
  });

  it('builds whole a model that was a table and became incremental with the same columns, where the table was recorded', async () => {
    const dir = await copyProject();
    const sql = (config: string) => `/*---\n${config}\n---*/\nSELECT tenant_id, count(*) AS n FROM {{ ref('type_counts') }} c GROUP BY tenant_id\n`;
    await writeFile(join(dir, 'per_tenant.sql'), sql('materialized: table'));
    await writeFile(join(dir, 'per_tenant_run.sql'), sql('materialized: table'));
    await ingest([cloudEvent({ id: 'a1' }), cloudEvent({ id: 'g1', tenantid: 'globex' })]);
    expect(await build(dir)).toMatchObject({ per_tenant: 'table built', per_tenant_run: 'table built' });
    // Its latest record the forget of a `run`, which records no state.
    expect(await build(dir, { models: ['per_tenant_run'], mode: 'run', fullRefresh: true })).toEqual({ per_tenant_run: 'table built' });
    // Made without a key: on ClickHouse a MergeTree that keeps both versions of a row merged into it.
    for (const model of ['per_tenant', 'per_tenant_run']) await writeFile(join(dir, `${model}.sql`), sql('materialized: incremental\nunique_key: [tenant_id]'));
    await ingest([cloudEvent({ id: 'a2', type: 'other.type' })]);
    expect(await build(dir)).toMatchObject({
      per_tenant: 'table rebuilt: its definition changed since it was built', per_tenant_run: 'table rebuilt: its definition changed since it was built',
    });
    for (const model of ['per_tenant', 'per_tenant_run']) {
      const counted = await db.warehouse.query(`SELECT tenant_id, n FROM ${db.warehouse.dialect.deduplicated(model)} ORDER BY tenant_id`);
      expect(counted.map((r) => `${r.tenant_id}=${r.n}`)).toEqual(['acme=2', 'globex=1']);
    }
  });

  it('records what `build` tested, not what `run` built untested', async () => {
    const dir = await copyProject();
    await ingest([cloudEvent({ id: 'a1' })]);
    await build(dir);
    await writeFile(join(dir, 'tenant_plans.sql'), "/*---\nmaterialized: table\n---*/\nSELECT t.tenant_id AS tenant_id, upper(p.plan) AS plan FROM {{ ref('tenants_seen') }} t CROSS JOIN {{ ref('plans') }} p\n");
    expect(await build(dir, { mode: 'run' })).toMatchObject({ tenant_plans: 'table built', tenants_seen: 'unchanged' });
    // `run` left no state of it: the next build builds and tests it again.
    expect(await build(dir)).toMatchObject({ tenant_plans: 'table built' });
    expect(await build(dir)).toMatchObject({ tenant_plans: 'unchanged' });
    expect(await plans()).toEqual([{ tenant_id: 'acme', plan: 'PRO' }]);
  });
});
