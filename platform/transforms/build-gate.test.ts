import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBStateStore, ensureStateSchema, type StateStore } from '../../kernel/state/index.ts';
import { DuckDBWarehouse } from '../../kernel/warehouse/duckdb/duckdb-warehouse.ts';
import { JOB_LEASES_TABLE, JobLeases } from '../jobs/index.ts';
import { BuildGate, BuildInProgressError } from './build-gate.ts';
import { ModelRefresh } from './model-refresh.ts';

/** Two platform processes' build gates over one state store's leases, as two replicas sharing a warehouse have. */
describe('build gates of two processes sharing a warehouse', () => {
  let state: StateStore;
  let here: BuildGate;
  let there: BuildGate;

  beforeEach(async () => {
    state = await DuckDBStateStore.open(':memory:', [JOB_LEASES_TABLE]);
    await ensureStateSchema(state);
    here = new BuildGate(new JobLeases(state, undefined, 'replica-a'));
    there = new BuildGate(new JobLeases(state, undefined, 'replica-b'));
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
