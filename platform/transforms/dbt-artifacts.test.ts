import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestPipeline } from '../ingest/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { officialSchema } from '../../test/support/official-schema.ts';
import { buildProject } from './build-project.ts';
import { MODEL_GENERATORS } from '../../packs/index.ts';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));
const RUNNABLE = fileURLToPath(new URL('./fixtures/runnable/', import.meta.url));

type Node = { resource_type: string; depends_on?: { nodes: string[] }; attached_node?: string };
type Result = { unique_id: string; status: string; compiled: boolean | null; compiled_code: string | null; relation_name: string | null; failures: number | null };

describe.each(TEST_ENGINES)('dbt artifacts of a real build on %s', (engine) => {
  const db = useWarehouse(engine);
  let target: string | undefined;
  afterEach(async () => {
    if (target) await rm(target, { recursive: true, force: true });
  });

  it('validate against dbt manifest v12 and run-results v6, with test nodes and their results', { timeout: 180_000 }, async () => {
    await new IngestPipeline(db.warehouse).ingest(
      [cloudEvent({ id: 'a' }), cloudEvent({ id: 'b', type: 'workflow.executions_total' }), cloudEvent({ id: 'c', tenantid: 'globex' })],
      { channel: 'file', submitter: 'acme' },
    );
    target = await mkdtemp(join(tmpdir(), 'companyos-artifacts-'));
    await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: target, tenant: 'acme', trigger: 'cli' });
    const manifest = JSON.parse(await readFile(join(target, 'manifest.json'), 'utf8')) as { nodes: Record<string, Node>; sources: Record<string, Node>; child_map: Record<string, string[]> };
    const runResults = JSON.parse(await readFile(join(target, 'run_results.json'), 'utf8')) as { results: Result[] };

    expect((await officialSchema('dbt/manifest-v12.json'))(manifest)).toEqual([]);
    expect((await officialSchema('dbt/run-results-v6.json'))(runResults)).toEqual([]);

    const tests = Object.entries(manifest.nodes).filter(([, node]) => node.resource_type === 'test');
    expect(tests.length).toBeGreaterThan(0);
    for (const [id, node] of tests) {
      expect(manifest.nodes[node.attached_node!], id).toBeDefined();
      expect(manifest.child_map[node.attached_node!], id).toContain(id);
    }
    const ids = new Set([...Object.keys(manifest.nodes), ...Object.keys(manifest.sources)]);
    for (const result of runResults.results) expect(ids, result.unique_id).toContain(result.unique_id);
    const staged = runResults.results.find((r) => r.unique_id === 'model.companyos.stg_events')!;
    expect(staged).toMatchObject({ status: 'success', compiled: true, relation_name: expect.stringContaining('stg_events'), failures: null });
    expect(staged.compiled_code).toMatch(/SELECT/i);
    const test = runResults.results.find((r) => r.unique_id.startsWith('test.'))!;
    expect(test).toMatchObject({ status: 'pass', failures: 0, compiled: true, compiled_code: expect.stringMatching(/SELECT count\(\*\) AS failures/) });

    // A build again with nothing new leaves models as they are (the seed, the FinOps tables): its results are as valid.
    const again = join(target, 'again');
    const second = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: again, tenant: 'acme', trigger: 'cli' });
    const reused = second.results.filter((r) => r.reused);
    expect(reused.map((r) => r.model)).toContain('packs');
    expect(reused.every((r) => r.status === 'success' && r.message.startsWith('unchanged'))).toBe(true);
    const againRun = JSON.parse(await readFile(join(again, 'run_results.json'), 'utf8')) as { results: Result[] };
    expect((await officialSchema('dbt/run-results-v6.json'))(againRun)).toEqual([]);
    // dbt's no-op: a node left as it is because nothing it depends on changed.
    expect(againRun.results.find((r) => r.unique_id === 'seed.companyos.packs')).toMatchObject({ status: 'no-op' });
    expect(againRun.results.filter((r) => r.status === 'no-op')).toHaveLength(reused.length);
    // Lineage records runs of what ran: none for a model left as it is, one for each model the build ran.
    const lineageJobs = (await db.warehouse.query<{ job_name: string }>(
      "SELECT DISTINCT job_name FROM lineage_runs WHERE tenant_id = 'acme' AND parent_run_id = ?", [second.run_id],
    )).map((r) => r.job_name).sort();
    const ran = second.results.filter((r) => !r.reused && !r.message.startsWith('ephemeral')).map((r) => r.model).sort();
    expect(lineageJobs).toEqual(ran);

    // A build with a failed model and a skipped one is as valid.
    const failing = join(target, 'failing');
    await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: RUNNABLE, targetDir: failing, tenant: 'acme', trigger: 'cli' });
    const failedRun = JSON.parse(await readFile(join(failing, 'run_results.json'), 'utf8')) as { results: Result[] };
    expect(failedRun.results.map((r) => r.status)).toEqual(expect.arrayContaining(['success', 'error', 'skipped']));
    expect((await officialSchema('dbt/manifest-v12.json'))(JSON.parse(await readFile(join(failing, 'manifest.json'), 'utf8')))).toEqual([]);
    expect((await officialSchema('dbt/run-results-v6.json'))(failedRun)).toEqual([]);
  });
});
