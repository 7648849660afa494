import { MODEL_GENERATORS } from '../../../packs/index.ts';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../ingest/index.ts';
import { tenantZeroWeek } from '../../../packs/metering/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { buildProject } from '../build-project.ts';
import { readLineageGraph } from './lineage-graph.ts';
import type { RunEvent } from './openlineage.ts';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const RUNNABLE = fileURLToPath(new URL('../fixtures/runnable/', import.meta.url));
const TENANT = 'summit-internal';

describe.each(TEST_ENGINES)('lineage on %s', (engine) => {
  const db = useWarehouse(engine);
  const build = (modelsDir: string, sink?: (event: RunEvent) => Promise<void>) =>
    buildProject(db.warehouse, { modelsDir, generators: MODEL_GENERATORS, targetDir: `${db.harness.dataDir}/target`, tenant: TENANT, trigger: 'cli', lineageSink: sink });

  it('records an OpenLineage run per model under the build, with sql, schema, columnLineage and test assertions, and sends the same events', async () => {
    await new IngestPipeline(db.warehouse).ingest(tenantZeroWeek(new Date('2026-11-22T10:00:00Z')).slice(0, 500), { channel: 'seed', submitter: TENANT });
    const sent: RunEvent[] = [];
    const report = await build(MODELS, async (event) => void sent.push(event));
    expect(report.lineage_failures).toEqual([]);

    const stored = (await db.warehouse.query<{ event: string }>('SELECT event FROM lineage_runs WHERE tenant_id = ? ORDER BY event_time, event_type', [TENANT]))
      .map((r) => JSON.parse(r.event) as RunEvent);
    expect(stored).toHaveLength(sent.length);
    const models = report.results.map((r) => r.model);
    for (const model of models) {
      expect(sent.filter((e) => e.job.name === model).map((e) => e.eventType), model).toEqual(['START', 'COMPLETE']);
    }
    expect(sent.filter((e) => e.job.name === 'companyos.build').map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);

    const staging = sent.find((e) => e.job.name === 'stg_events' && e.eventType === 'COMPLETE')!;
    expect(staging.run.facets.parent).toMatchObject({ run: { runId: report.run_id }, job: { namespace: 'companyos', name: 'companyos.build' } });
    expect(staging.job.facets.sql).toMatchObject({ query: expect.stringContaining('FROM (SELECT * FROM events') });
    expect(staging.inputs).toEqual([{ namespace: `${engine}://companyos`, name: 'events' }]);
    const output = staging.outputs[0]!.facets!;
    expect((output.schema as { fields: { name: string }[] }).fields.map((f) => f.name)).toContain('tenant_id');
    expect((output.columnLineage as { fields: Record<string, unknown> }).fields.tenant_id).toEqual({
      inputFields: [{ namespace: `${engine}://companyos`, name: 'events', field: 'tenant_id', transformations: [{ type: 'DIRECT', subtype: 'IDENTITY' }] }],
    });
    expect(output.dataQualityAssertions).toMatchObject({
      assertions: [
        { assertion: 'not_null_stg_events_tenant_id', success: true, column: 'tenant_id' },
        { assertion: 'not_null_stg_events_type', success: true, column: 'type' },
      ],
    });

    const cpu = sent.find((e) => e.job.name === 'meter_resource_cpu_seconds' && e.eventType === 'COMPLETE')!;
    const cpuLineage = (cpu.outputs[0]!.facets!.columnLineage as { fields: Record<string, { inputFields: { name: string; field: string; transformations: { subtype: string }[] }[] }> }).fields;
    expect(cpuLineage.window_start!.inputFields.map((f) => [f.name, f.field, f.transformations[0]!.subtype])).toEqual([['events', 'time', 'TRANSFORMATION'], ['meter_touched_events', 'time', 'TRANSFORMATION']]);
    expect(cpuLineage.value!.inputFields.map((f) => [f.name, f.field, f.transformations[0]!.subtype])).toEqual([['events', 'data', 'AGGREGATION'], ['meter_touched_events', 'data', 'AGGREGATION']]);
    expect(cpu.outputs[0]!.outputFacets?.outputStatistics).toMatchObject({ rowCount: report.results.find((r) => r.model === 'meter_resource_cpu_seconds')!.rows });
  });

  it('answers the graph events → staging and events → meters, upstream and downstream, by model, source or meter name', async () => {
    await build(MODELS);
    const upstream = await readLineageGraph(db.warehouse, TENANT, { node: 'policy.decisions_total', direction: 'upstream', depth: 10 });
    expect(upstream!.node).toMatchObject({ name: 'meter_policy_decisions_total', kind: 'meter', meter: 'policy.decisions_total' });
    expect(upstream!.nodes.map((n) => [n.name, n.kind, n.distance])).toEqual([
      ['meter_policy_decisions_total', 'meter', 0],
      ['events', 'source', 1],
      ['meter_touched_events', 'model', 1],
    ]);
    // Meters read the raw events themselves (their filter sits inside the deduplicated read), not the staging view, and
    // what arrived from the touched events (ClickHouse).
    expect(upstream!.edges).toEqual([
      { upstream: 'events', downstream: 'meter_policy_decisions_total' },
      { upstream: 'events', downstream: 'meter_touched_events' },
      { upstream: 'meter_touched_events', downstream: 'meter_policy_decisions_total' },
    ]);
    expect(upstream!.nodes[0]!.last_run).toMatchObject({ status: 'COMPLETE' });

    const oneHop = await readLineageGraph(db.warehouse, TENANT, { node: 'raw.events', direction: 'downstream', depth: 1 });
    expect(oneHop!.nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['events', 'stg_events', 'meter_policy_decisions_total']));
    // The UNIQUE_COUNT meter counts a set of distinct values built from the events: two hops away.
    expect(oneHop!.nodes.filter((n) => n.kind === 'meter')).toHaveLength(12);
    expect(oneHop!.nodes.map((n) => n.name)).toContain('meter_workflow_active_runners__values');
    const all = await readLineageGraph(db.warehouse, TENANT, { node: 'events', direction: 'downstream', depth: 2 });
    expect(all!.nodes.filter((n) => n.kind === 'meter')).toHaveLength(13);

    await expect(readLineageGraph(db.warehouse, TENANT, { node: 'nope', direction: 'both', depth: 3 })).rejects.toThrow(/"nope" is no model/);
    expect(await readLineageGraph(db.warehouse, 'acme', { node: 'events', direction: 'both', depth: 3 })).toBeUndefined();
  });

  it('ends a failing model with FAIL and its error, a skipped one with ABORT, and survives an endpoint that refuses events', async () => {
    const report = await build(RUNNABLE, async () => {
      throw new Error('connection refused');
    });
    expect(report.lineage_failures.length).toBeGreaterThan(0);
    expect(report.lineage_failures[0]).toContain('connection refused');
    const ends = await db.warehouse.query<{ job_name: string; event_type: string; event: string }>(
      "SELECT job_name, event_type, event FROM lineage_runs WHERE job_name IN ('broken_model', 'after_broken') AND event_type <> 'START' ORDER BY job_name",
    );
    expect(ends.map((r) => [r.job_name, r.event_type])).toEqual([['after_broken', 'ABORT'], ['broken_model', 'FAIL']]);
    expect(JSON.parse(ends[1]!.event).run.facets.errorMessage.message).toMatch(/no_such_column/);
    const [run] = await db.warehouse.query('SELECT trigger, status, models_error, models_skipped FROM build_runs WHERE run_id = ?', [report.run_id]);
    expect(run).toEqual({ trigger: 'cli', status: 'error', models_error: 1, models_skipped: 1 });
  });
});
