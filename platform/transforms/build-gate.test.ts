import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBStateStore, ensureStateSchema, type StateStore } from '../../kernel/state/index.ts';
import { DuckDBWarehouse } from '../../kernel/warehouse/duckdb/duckdb-warehouse.ts';
import { migrateWarehouse, type Warehouse } from '../../kernel/warehouse/index.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { officialSchema } from '../../test/support/official-schema.ts';
import { JOB_LEASES_TABLE, JobLeases } from '../jobs/index.ts';
import { BUILD_LEASE_JOB, BUILD_LEASE_MS, BuildGate, BuildInProgressError } from './build-gate.ts';
import { ModelRefresh } from './model-refresh.ts';

/** Two platform processes' build gates over one state store's leases, as two replicas sharing a warehouse have. */
describe('build gates of two processes sharing a warehouse', () => {
  let state: StateStore;
  let here: BuildGate;
  let there: BuildGate;

  beforeEach(async () => {
    state = await DuckDBStateStore.open(':memory:', [JOB_LEASES_TABLE]);
    await ensureStateSchema(state);
    here = new BuildGate(new JobLeases(state, { holder: 'replica-a' }));
    there = new BuildGate(new JobLeases(state, { holder: 'replica-b' }));
  });
  afterEach(() => state.close());

  it('refuse a build while the other builds, naming it; a caller that waits gets the slot once it is free, or is refused when it is not', async () => {
    const elsewhere = await there.reserve();
    await expect(here.reserve()).rejects.toThrow(new BuildInProgressError('in replica-b'));
    expect(here.busy).toBe(false);
    const waited = here.reserve({ waitMs: 5_000 });
    setTimeout(() => void elsewhere.release(), 300);
    const slot = await waited;
    expect(here.busy).toBe(true);
    const started = Date.now();
    await expect(there.reserve({ waitMs: 1_200 })).rejects.toThrow(/in replica-a/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_150);
    await slot.release();
    await (await there.reserve()).release();
  });

  it("take a model refresh's snapshot only once the other process's build is done", async () => {
    const warehouse = await DuckDBWarehouse.open(':memory:');
    try {
      await migrateWarehouse(warehouse);
      await warehouse.execute("CREATE TABLE meter_x AS SELECT 'acme' AS tenant_id, 1 AS value");
      const refresh = new ModelRefresh({ warehouse, builds: here, generators: [], modelsDir: 'models', targetDir: 'target', tenant: 'summit-internal' });
      const elsewhere = await there.reserve();
      let taken = false;
      const snapshot = refresh.snapshot('meter_x', 'meter_x__snapshot').then((rows) => ((taken = true), rows));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(taken).toBe(false);
      expect(await warehouse.hasRelation('meter_x__snapshot')).toBe(false);
      await elsewhere.release();
      expect(await snapshot).toBe(1);
      expect(here.busy).toBe(false);
    } finally {
      await warehouse.close();
    }
  });
});

describe('a model refresh whose lease passes to another process while the cluster settles', () => {
  it('writes nothing: the snapshot is refused, naming the lease', async () => {
    const state = await DuckDBStateStore.open(':memory:', [JOB_LEASES_TABLE]);
    const warehouse = await DuckDBWarehouse.open(':memory:');
    try {
      await ensureStateSchema(state);
      let clock = new Date();
      const there = new JobLeases(state, { now: () => clock, elapsed: () => clock.getTime(), holder: 'replica-b' });
      await warehouse.execute("CREATE TABLE meter_x AS SELECT 'acme' AS tenant_id, 1 AS value");
      // A settle that outlasts the lease (a cluster server down), meanwhile taken by the other replica.
      (warehouse as Warehouse).settleDdl = async () => {
        clock = new Date(clock.getTime() + 2 * BUILD_LEASE_MS);
        expect(await there.acquire(BUILD_LEASE_JOB, BUILD_LEASE_MS)).toEqual({ fencing: 2 });
      };
      const builds = new BuildGate(new JobLeases(state, { now: () => clock, elapsed: () => clock.getTime(), holder: 'replica-a' }));
      const refresh = new ModelRefresh({ warehouse, builds, generators: [], modelsDir: 'models', targetDir: 'target', tenant: 'summit-internal' });
      await expect(refresh.snapshot('meter_x', 'meter_x__snapshot')).rejects.toThrow(/passed to another process/);
      expect(await warehouse.hasRelation('meter_x__snapshot')).toBe(false);
    } finally {
      await warehouse.close();
      await state.close();
    }
  });
});

describe('a build whose lease passes to another process (paused past the lease, say)', () => {
  const db = useWarehouse('duckdb');

  it('stops before its next model: what follows is not built, and the run says why', async () => {
    const state = await DuckDBStateStore.open(':memory:', [JOB_LEASES_TABLE]);
    const targetDir = await mkdtemp(join(tmpdir(), 'companyos-build-lease-'));
    try {
      await ensureStateSchema(state);
      let clock = new Date();
      const here = new BuildGate(new JobLeases(state, { now: () => clock, elapsed: () => clock.getTime(), holder: 'replica-a' }));
      const there = new JobLeases(state, { now: () => clock, elapsed: () => clock.getTime(), holder: 'replica-b' });
      const report = await here.run(db.warehouse, {
        modelsDir: fileURLToPath(new URL('./fixtures/good/', import.meta.url)), generators: [], targetDir, tenant: 'summit-internal', trigger: 'api', threads: 1,
        onModel: async ({ result }) => {
          if (result?.model !== 'stg_events') return;
          clock = new Date(clock.getTime() + 2 * BUILD_LEASE_MS);
          expect(await there.acquire(BUILD_LEASE_JOB, BUILD_LEASE_MS)).toEqual({ fencing: 2 });
        },
      });
      const byModel = Object.fromEntries(report.results.map((r) => [r.model, r]));
      expect(byModel.stg_events).toMatchObject({ status: 'success' });
      expect(byModel.daily_counts).toMatchObject({ status: 'error', message: 'build stopped before this model: the lease "transforms/build" (fencing 1) passed to another process' });
      expect(byModel.tenant_totals).toMatchObject({ status: 'skipped' });
      expect(await db.warehouse.hasRelation('daily_counts')).toBe(false);
      // The stopped build's artifacts are dbt's still: the stop is an error result with its message.
      const runResults = JSON.parse(await readFile(join(targetDir, 'run_results.json'), 'utf8')) as { results: { status: string; message: string }[] };
      expect((await officialSchema('dbt/run-results-v6.json'))(runResults)).toEqual([]);
      expect(runResults.results.map((r) => r.message)).toContainEqual(expect.stringMatching(/^build stopped before this model: /));
      // The other process keeps the lease: the stopped build's release does not free it.
      expect(await there.acquire(BUILD_LEASE_JOB, BUILD_LEASE_MS)).toEqual({ fencing: 2 });
      expect(here.busy).toBe(false);
    } finally {
      await state.close();
      await rm(targetDir, { recursive: true, force: true });
    }
  });
});
