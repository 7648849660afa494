import { buildServer, TokenAuthority } from '../api/index.ts';
import type { RouteEntry } from '../api/policy/gate.ts';
import { DuckDBWarehouse, migrateWarehouse } from '../warehouse/index.ts';

export interface Coverage {
  rows: RouteEntry[];
  privileged: number;
  gatedPrivileged: number;
  /** State-changing routes that are neither gated nor say why. */
  unexplained: RouteEntry[];
}

/** The route inventory of a server built on a scratch in-memory warehouse. */
export async function policyCoverage(): Promise<Coverage> {
  const warehouse = await DuckDBWarehouse.open(':memory:');
  await migrateWarehouse(warehouse);
  const app = await buildServer({ warehouse, tokens: new TokenAuthority('x'.repeat(32)), logLevel: 'silent' });
  try {
    await app.ready();
    const rows = [...app.routeInventory].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
    const privileged = rows.filter((r) => r.privileged);
    return {
      rows,
      privileged: privileged.length,
      gatedPrivileged: privileged.filter((r) => r.action && r.receipt).length,
      unexplained: rows.filter((r) => r.method !== 'GET' && !r.public && !r.action && !r.ungated),
    };
  } finally {
    await app.close();
    await warehouse.close();
  }
}
