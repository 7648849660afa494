// A platform process killed with workflow events in its queue (surfaces/compose/remetering.test.ts):
// `killed-with-queued-events.ts <dir> [server|cli]` starts a platform (a server's, or a one-command CLI's that recovers
// nothing itself) on the DuckDB warehouse in <dir> whose writes of events never finish, requests a temporary-access run in each of two tenants, and prints "done <acme run> <globex run>" once both have answered, its
// transitions' events still queued. The test SIGKILLs it there.
import { join } from 'node:path';
import { DuckDBWarehouse, type SqlValue, type UniqueInsert } from '../../../kernel/warehouse/index.ts';
import { createPlatform } from '../create-platform.ts';
import { migratePlatform } from '../migrate-platform.ts';

const [dir, kind = 'server'] = process.argv.slice(2) as [string, string?];
const warehouse = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'));
await migratePlatform(warehouse);
// Every method is the warehouse's own, but a write of events never answers: the queue keeps them until the kill.
const neverWritesEvents = new Proxy(warehouse, {
  get(target, property) {
    if (property === 'insertUnique') {
      return (spec: UniqueInsert, rows: readonly (readonly SqlValue[])[]) => (spec.table === 'events' ? new Promise(() => undefined) : target.insertUnique(spec, rows));
    }
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
  },
});
const platform = await createPlatform({ warehouse: neverWritesEvents, ledger: { keysDir: join(dir, 'keys') }, recoverQueues: kind === 'server' });
// One run in each of two tenants: each tenant's events must come back in that tenant.
const runs = await Promise.all(['acme', 'globex'].map((tenant) => platform.workflows.request({
  tenant, type: 'temporary-access', requestedBy: 'ana',
  rationale: { category: 'support', text: 'on-call needs read access for the incident' }, params: { grantee: 'oncall-1', role: 'reader', duration_minutes: 30 },
})));
process.stdout.write(`done ${runs.map((run) => run.runId).join(' ')}\n`);
setInterval(() => undefined, 60_000);
