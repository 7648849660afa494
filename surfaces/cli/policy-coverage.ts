import { buildServer } from '../http/index.ts';
import { TokenAuthority } from '../../platform/identity/index.ts';
import { summarizeCoverage, type CoverageSummary, type RouteEntry } from '../http/kit/index.ts';
import { DuckDBWarehouse } from '../../kernel/warehouse/index.ts';
import { migratePlatform } from '../compose/index.ts';

export interface Coverage extends CoverageSummary {
  rows: RouteEntry[];
}

/** The route inventory of a server built on a scratch in-memory warehouse. */
export async function policyCoverage(): Promise<Coverage> {
  const warehouse = await DuckDBWarehouse.open(':memory:');
  await migratePlatform(warehouse);
  const app = await buildServer({ warehouse, tokens: new TokenAuthority('x'.repeat(32)), logLevel: 'silent' });
  try {
    await app.ready();
    const rows = [...app.routeInventory].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
    return { rows, ...summarizeCoverage(rows) };
  } finally {
    await app.close();
    await warehouse.close();
  }
}
