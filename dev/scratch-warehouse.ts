import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWarehouse, type EngineName, type WarehouseConfig } from '../kernel/warehouse/index.ts';

/** A fresh, empty warehouse for a test or a measurement, and how to reach and remove it. */
export interface ScratchWarehouse {
  config: WarehouseConfig;
  /** The settings a `companyos` child process needs to use the same warehouse. */
  env: Record<string, string>;
  dataDir: string;
  /** Drops the ClickHouse database (if any) and removes the data dir. */
  dispose(): Promise<void>;
}

/** A new data dir, and on ClickHouse a new uniquely named database on the server at `clickhouseUrl`. */
export async function scratchWarehouse(engine: EngineName, clickhouseUrl?: string | null): Promise<ScratchWarehouse> {
  const dataDir = await mkdtemp(join(tmpdir(), `companyos-${engine}-`));
  const config: WarehouseConfig = { engine, dataDir };
  const env: Record<string, string> = { COMPANYOS_WAREHOUSE: engine, COMPANYOS_DATA_DIR: dataDir };
  if (engine === 'clickhouse') {
    if (!clickhouseUrl) throw new Error('a ClickHouse scratch warehouse needs a server URL');
    config.clickhouse = { url: clickhouseUrl, database: `scratch_${randomUUID().replaceAll('-', '').slice(0, 16)}` };
    Object.assign(env, { COMPANYOS_CLICKHOUSE_URL: clickhouseUrl, COMPANYOS_CLICKHOUSE_DATABASE: config.clickhouse.database });
  }
  return {
    config,
    env,
    dataDir,
    async dispose() {
      if (config.clickhouse) {
        const warehouse = await openWarehouse(config);
        await warehouse.execute(`DROP DATABASE IF EXISTS ${config.clickhouse.database}`);
        await warehouse.close();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
