import { ensureClickHouseServer, startLocalClickHouse, type LocalClickHouse } from '../../deploy/clickhouse/local-server.ts';
import { scratchWarehouse, type ScratchWarehouse } from '../../deploy/scratch-warehouse.ts';
import type { EngineName } from '../../warehouse/index.ts';

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

  target(): Promise<ScratchWarehouse> {
    return scratchWarehouse(this.engine, this.clickhouseUrl);
  }

  async close(): Promise<void> {
    await this.server?.stop();
  }
}
