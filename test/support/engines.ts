import { afterEach, beforeEach } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateWarehouse, openWarehouse, type EngineName, type Warehouse } from '../../warehouse/index.ts';

/** A fresh, migrated warehouse per test, on a real engine. */
export interface EngineHarness {
  engine: EngineName;
  /** Opens the warehouse for this harness's data dir (again, to test restarts). */
  open(): Promise<Warehouse>;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** The engines every warehouse-touching suite runs on. */
export const TEST_ENGINES: EngineName[] = ['duckdb'];

export async function engineHarness(engine: EngineName): Promise<EngineHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), `companyos-${engine}-`));
  return {
    engine,
    dataDir,
    async open() {
      const warehouse = await openWarehouse({ engine, dataDir });
      await migrateWarehouse(warehouse);
      return warehouse;
    },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

export interface WarehouseFixture {
  readonly warehouse: Warehouse;
  readonly harness: EngineHarness;
  /** Closes and opens the same warehouse again, as a restart would. */
  reopen(): Promise<Warehouse>;
}

/** Gives each test of the suite a fresh, migrated warehouse on `engine`, closed and removed afterwards. */
export function useWarehouse(engine: EngineName): WarehouseFixture {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  beforeEach(async () => {
    harness = await engineHarness(engine);
    warehouse = await harness.open();
  });
  afterEach(async () => {
    await warehouse.close();
    await harness.cleanup();
  });
  return {
    get warehouse() {
      return warehouse;
    },
    get harness() {
      return harness;
    },
    async reopen() {
      await warehouse.close();
      warehouse = await harness.open();
      return warehouse;
    },
  };
}
