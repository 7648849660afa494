import { ensureClickHouseServer, startLocalClickHouse, type LocalClickHouse } from '../../dev/index.ts';
import { scratchWarehouse, type ScratchWarehouse } from '../../dev/index.ts';
import { ENGINES, openWarehouse, type EngineName, type Warehouse } from '../../kernel/warehouse/index.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';

/** Makes fresh warehouses on one engine; for ClickHouse, on COMPANYOS_CLICKHOUSE_URL or a local server it starts. */
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

  /** The ClickHouse server's URL, when the engine is ClickHouse. */
  get url(): string | undefined {
    return this.clickhouseUrl;
  }

  /** The process id of the server this factory started (none for DuckDB or a server named by COMPANYOS_CLICKHOUSE_URL). */
  serverPid(): number | undefined {
    return this.server?.pid();
  }

  target(): Promise<ScratchWarehouse> {
    return scratchWarehouse(this.engine, this.clickhouseUrl);
  }

  async close(): Promise<void> {
    await this.server?.stop();
  }
}

/** `--warehouse duckdb,clickhouse` as engine names, refusing unknown ones. */
export function parseEngines(arg: string): EngineName[] {
  const names = arg.split(',').map((e) => e.trim());
  for (const name of names) {
    if (!(ENGINES as readonly string[]).includes(name)) throw new Error(`--warehouse takes ${ENGINES.join(', ')} (comma-separated); got "${name}"`);
  }
  return names as EngineName[];
}

/** `work` on a fresh, migrated warehouse of `engine` (its data dir too), closed and removed after, servers stopped. */
export async function onScratchWarehouse<T>(engine: EngineName, work: (warehouse: Warehouse, dataDir: string) => Promise<T>): Promise<T> {
  const targets = await TargetFactory.create(engine);
  try {
    const target = await targets.target();
    const warehouse = await openWarehouse(target.config);
    try {
      await migratePlatform(warehouse);
      return await work(warehouse, target.dataDir);
    } finally {
      await warehouse.close();
      await target.dispose();
    }
  } finally {
    await targets.close();
  }
}
