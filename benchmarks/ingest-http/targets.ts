import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureClickHouseServer, startLocalClickHouse, type LocalClickHouse } from '../../deploy/clickhouse/local-server.ts';
import { openWarehouse, type EngineName, type WarehouseConfig } from '../../warehouse/index.ts';

/** A fresh, empty warehouse for one measurement, and the environment a `companyos` child needs to use it. */
export interface Target {
  config: WarehouseConfig;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** Makes fresh targets on one engine; for ClickHouse, on COMPANYOS_CLICKHOUSE_URL or a local server it starts. */
export class TargetFactory {
  private constructor(
    readonly engine: EngineName,
    private readonly clickhouseUrl: string | undefined,
    private readonly server: LocalClickHouse | undefined,
  ) {}

  static async create(engine: EngineName): Promise<TargetFactory> {
    if (engine !== 'clickhouse') return new TargetFactory(engine, undefined, undefined);
    if (process.env.COMPANYOS_CLICKHOUSE_URL) return new TargetFactory(engine, process.env.COMPANYOS_CLICKHOUSE_URL, undefined);
    const found = ensureClickHouseServer((line) => console.log(line));
    if ('missing' in found) throw new Error(`cannot benchmark ClickHouse: ${found.missing}`);
    const server = await startLocalClickHouse(found.binary);
    return new TargetFactory(engine, server.url, server);
  }

  async target(): Promise<Target> {
    const dataDir = await mkdtemp(join(tmpdir(), `bench-${this.engine}-`));
    const config: WarehouseConfig = { engine: this.engine, dataDir };
    const env: Record<string, string> = { COMPANYOS_DATA_DIR: dataDir, COMPANYOS_WAREHOUSE: this.engine };
    if (this.clickhouseUrl) {
      config.clickhouse = { url: this.clickhouseUrl, database: `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}` };
      Object.assign(env, { COMPANYOS_CLICKHOUSE_URL: this.clickhouseUrl, COMPANYOS_CLICKHOUSE_DATABASE: config.clickhouse.database });
    }
    return {
      config,
      env,
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

  async close(): Promise<void> {
    await this.server?.stop();
  }
}
