import { MODEL_GENERATORS } from '../../packs/index.ts';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../ingest/index.ts';
import { CLICKHOUSE_DIALECT, DUCKDB_DIALECT } from '../../kernel/warehouse/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { columnTestQueries } from './column-tests.ts';
import { compileProject } from './compile-project.ts';
import { RAW_SOURCES } from './raw-sources.ts';
import { renderModel } from './render-model.ts';
import { runProject } from './run-project.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}/`, import.meta.url));
const golden = (name: string) => readFile(new URL(`./goldens/${name}`, import.meta.url), 'utf8');
const DIALECTS = { duckdb: DUCKDB_DIALECT, clickhouse: CLICKHOUSE_DIALECT };

describe.each(TEST_ENGINES)('column tests on %s', (engine) => {
  const db = useWarehouse(engine);

  it('pass on good data, fail on bad data (failing the model and skipping its children), and only warn when told to', async () => {
    const project = await compileProject(fixture('tested'), RAW_SOURCES);
    const pipeline = new IngestPipeline(db.warehouse);
    await pipeline.ingest([cloudEvent({ id: '1', plan: 'pro' }), cloudEvent({ id: '2', tenantid: 'globex', plan: 'enterprise' })], { channel: 'file', submitter: 'acme' });
    const good = await runProject(db.warehouse, project);
    expect(good.map((r) => [r.model, r.status])).toEqual([['tenants', 'success'], ['plans', 'success'], ['after_plans', 'success']]);
    expect(good[1]!.tests.map((t) => [t.name, t.status])).toEqual([
      ['not_null_plans_plan', 'pass'],
      ['accepted_values_plans_plan', 'pass'],
      ['relationships_plans_tenant_id', 'pass'],
      ['unique_plans_tenant_id', 'pass'],
    ]);

    // Bad data: an unknown plan, a missing plan (warn only), and a second row for acme.
    await pipeline.ingest([cloudEvent({ id: '3', plan: 'platinum' }), cloudEvent({ id: '4', plan: undefined })], { channel: 'file', submitter: 'acme' });
    const bad = await runProject(db.warehouse, project);
    expect(bad.map((r) => [r.model, r.status])).toEqual([['tenants', 'success'], ['plans', 'error'], ['after_plans', 'skipped']]);
    expect(bad[1]!.tests.map((t) => [t.name, t.status, t.failures])).toEqual([
      ['not_null_plans_plan', 'warn', 1],
      ['accepted_values_plans_plan', 'fail', 1],
      ['relationships_plans_tenant_id', 'pass', 0],
      ['unique_plans_tenant_id', 'fail', 1],
    ]);
    expect(bad[1]!.message).toBe('2 tests failed: accepted_values_plans_plan: 1 failing row; unique_plans_tenant_id: 1 failing row');
  });
});

describe('generated SQL (goldens)', () => {
  it.each(Object.keys(DIALECTS) as (keyof typeof DIALECTS)[])('renders an incremental model for %s, first build and incremental run', async (dialect) => {
    const project = await compileProject(fixture('incremental'), RAW_SOURCES);
    const model = project.models.get('tenant_counts')!;
    const render = (isIncremental: boolean) => renderModel(model, { dialect: DIALECTS[dialect], project, isIncremental });
    expect(`${render(false)}\n-- incremental run:\n${render(true)}\n`).toBe(await golden(`tenant_counts.${dialect}.sql`));
  });

  // Where rows are stored once (DuckDB) LATEST and SUM fold what arrived into what was built; ClickHouse recomputes touched windows from the touched events.
  it.each((Object.keys(DIALECTS) as (keyof typeof DIALECTS)[]).flatMap((dialect) => ['meter_resource_storage_gb', 'meter_resource_cpu_seconds', 'meter_touched_events'].map((model) => [model, dialect] as const)))(
    'renders the generated meter model %s for %s',
    async (name, dialect) => {
      const project = await compileProject(fileURLToPath(new URL('../../models/', import.meta.url)), RAW_SOURCES, MODEL_GENERATORS);
      const model = project.models.get(name)!;
      const render = (isIncremental: boolean) => renderModel(model, { dialect: DIALECTS[dialect], project, isIncremental });
      expect(`${render(false)}\n-- incremental run:\n${render(true)}\n`).toBe(await golden(`${name}.${dialect}.sql`));
    },
  );

  it('pins the generic test queries', async () => {
    const project = await compileProject(fixture('tested'), RAW_SOURCES);
    const queries = columnTestQueries(project.models.get('plans')!, (name) => name);
    expect(queries.map((q) => `-- ${q.name} (${q.severity})\n${q.sql};`).join('\n') + '\n').toBe(await golden('plans.tests.sql'));
    expect(queries[1]!.params).toEqual(['internal', 'pro', 'enterprise']);
  });
});
