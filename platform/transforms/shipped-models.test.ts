import { MODEL_GENERATORS } from '../../packs/index.ts';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../ingest/index.ts';
import { tenantZeroWeek } from '../../packs/metering/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { IN_MEMORY_NAMESPACE, manifest, runResults } from './artifacts.ts';
import { compileProject } from './compile-project.ts';
import { PROJECT_NAME, RAW_SOURCES } from './raw-sources.ts';
import { runProject } from './run-project.ts';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));

describe.each(TEST_ENGINES)('the shipped models on %s', (engine) => {
  const db = useWarehouse(engine);

  it('build on the Tenant Zero demo data, and staging holds every accepted event once', async () => {
    const events = tenantZeroWeek(new Date('2026-11-22T10:00:00Z')).slice(0, 2000);
    await new IngestPipeline(db.warehouse).ingest([...events, ...events.slice(0, 100)], { channel: 'seed', submitter: 'summit-internal' });
    const project = await compileProject(MODELS, RAW_SOURCES, MODEL_GENERATORS);
    const results = await runProject(db.warehouse, project, { tenant: 'summit-internal' });
    expect(results.map((r) => [r.model, r.status, r.message])).toEqual(results.map((r) => [r.model, 'success', expect.any(String)]));
    const [staged] = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM stg_events');
    expect(staged!.n).toBe(2000);
  });
});

describe('dbt artifacts', () => {
  it('describe the graph and the run in dbt shapes', async () => {
    const modelsDir = fileURLToPath(new URL('./fixtures/good/', import.meta.url));
    const project = await compileProject(modelsDir, RAW_SOURCES, MODEL_GENERATORS);
    const at = new Date('2026-11-22T10:00:00Z');
    const context = { projectName: PROJECT_NAME, namespace: IN_MEMORY_NAMESPACE, modelsDir, generatedAt: at };
    const doc = manifest(project, RAW_SOURCES, context);
    expect(doc.metadata).toMatchObject({ project_name: 'companyos', generated_at: '2026-11-22T10:00:00.000Z' });
    expect(doc.nodes['model.companyos.daily_counts']).toMatchObject({
      resource_type: 'model',
      config: { materialized: 'incremental', unique_key: ['tenant_id', 'day'] },
      depends_on: { nodes: ['model.companyos.stg_events'] },
      relation_name: '"memory"."main"."daily_counts"',
    });
    expect(doc.parent_map['model.companyos.stg_events']).toEqual(['source.companyos.raw.events']);
    expect(doc.child_map['source.companyos.raw.events']).toEqual(['model.companyos.stg_events']);
    expect(doc.child_map['model.companyos.daily_counts']).toEqual(['test.companyos.not_null_daily_counts_tenant_id', 'test.companyos.relationships_daily_counts_tenant_id', 'model.companyos.tenant_totals']);
    const run = runResults([{ model: 'stg_events', status: 'success', reused: false, message: 'view created', seconds: 0.5, rows: null, sql: 'SELECT 1', tests: [{ name: 'not_null_stg_events_tenant_id', status: 'fail', failures: 2, message: 'x', sql: 'SELECT 2' }] }], project, { ...context, elapsedSeconds: 1.5, mode: 'build' });
    expect(run.results[0]).toMatchObject({ unique_id: 'model.companyos.stg_events', status: 'success', execution_time: 0.5, adapter_response: {}, compiled_code: 'SELECT 1', failures: null });
    expect(run.results[1]).toMatchObject({ unique_id: 'test.companyos.not_null_stg_events_tenant_id', status: 'fail', failures: 2, compiled_code: 'SELECT 2' });
  });
});
