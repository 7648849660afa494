import { afterEach, beforeEach, inject } from 'vitest';
import { scratchWarehouse } from '../../dev/index.ts';
import { openWarehouse, type EngineName, type Warehouse, type WarehouseConfig } from '../../kernel/warehouse/index.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';

/** A fresh, migrated warehouse per test, on a real engine. */
export interface EngineHarness {
  engine: EngineName;
  /** Opens the warehouse for this harness (again, to test restarts). */
  open(): Promise<Warehouse>;
  /** The settings `companyos` needs to reach the same warehouse (for child processes). */
  env: Record<string, string>;
  /** What `openWarehouse` opens it with (for child processes that open it themselves). */
  config: WarehouseConfig;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** The data folder of each warehouse a harness opened: where a platform on it keeps its state beside ClickHouse. */
const dataDirs = new WeakMap<Warehouse, string>();

/** Where a platform on `warehouse` keeps operational state (`createPlatform`'s `state`). */
export function stateOptionsFor(warehouse: Warehouse): { dataDir?: string } {
  return { dataDir: dataDirs.get(warehouse) };
}

/** The engines every warehouse-touching suite runs on. */
export const TEST_ENGINES: EngineName[] = ['duckdb', 'clickhouse'];

/** Why `engine` cannot run here, or null when it can. */
export function engineUnavailable(engine: EngineName): string | null {
  return engine === 'clickhouse' && !inject('clickhouseUrl') ? (inject('clickhouseSkipReason') ?? 'no ClickHouse server') : null;
}

export async function engineHarness(engine: EngineName): Promise<EngineHarness> {
  const unavailable = engineUnavailable(engine);
  if (unavailable) throw new Error(`${engine} is unavailable: ${unavailable}`);
  const scratch = await scratchWarehouse(engine, inject('clickhouseUrl'));
  return {
    engine,
    dataDir: scratch.dataDir,
    env: scratch.env,
    config: scratch.config,
    async open() {
      const warehouse = await openWarehouse(scratch.config);
      await migratePlatform(warehouse);
      dataDirs.set(warehouse, scratch.dataDir);
      return warehouse;
    },
    cleanup: () => scratch.dispose(),
  };
}

export interface WarehouseFixture {
  readonly warehouse: Warehouse;
  readonly harness: EngineHarness;
  /** Closes and opens the same warehouse again, as a restart would. */
  reopen(): Promise<Warehouse>;
}

/**
 * Gives each test of the suite a fresh, migrated warehouse on `engine`, closed
 * and removed afterwards. When the engine is unavailable here, the tests are
 * reported as skipped with the reason.
 */
export function useWarehouse(engine: EngineName): WarehouseFixture {
  let harness: EngineHarness | undefined;
  let warehouse: Warehouse | undefined;
  beforeEach(async (context) => {
    const unavailable = engineUnavailable(engine);
    if (unavailable) context.skip(unavailable);
    harness = await engineHarness(engine);
    warehouse = await harness.open();
  });
  afterEach(async () => {
    await warehouse?.close();
    await harness?.cleanup();
    warehouse = harness = undefined;
  });
  return {
    get warehouse() {
      return warehouse!;
    },
    get harness() {
      return harness!;
    },
    async reopen() {
      await warehouse!.close();
      warehouse = await harness!.open();
      return warehouse;
    },
  };
}
