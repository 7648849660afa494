// A platform replica killed with decisions in its queue (surfaces/compose/decision-recovery.test.ts):
// `killed-with-queued-decisions.ts <warehouse config JSON> <state store URL> <keys dir>` starts a platform on that
// warehouse and PostgreSQL state store whose writes of decisions never finish, takes a privileged action in each of two
// tenants (decided, receipted, the decisions queued), and prints "done" once both have answered. The test SIGKILLs it there.
import { openWarehouse, type SqlValue, type WarehouseConfig } from '../../../kernel/warehouse/index.ts';
import type { Principal } from '../../../platform/identity/index.ts';
import { createPlatform } from '../create-platform.ts';

const [config, url, keysDir] = process.argv.slice(2) as [string, string, string];
const warehouse = await openWarehouse(JSON.parse(config) as WarehouseConfig);
// Every method is the warehouse's own, but a write of decisions never answers: the queue keeps them until the kill.
const neverWritesDecisions = new Proxy(warehouse, {
  get(target, property) {
    if (property === 'insert') {
      return (table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]) =>
        (table === 'policy_decisions' ? new Promise(() => undefined) : target.insert(table, columns, rows));
    }
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
  },
});
const platform = await createPlatform({ warehouse: neverWritesDecisions, state: { url }, ledger: { keysDir } });
for (const tenant of ['acme', 'globex']) {
  const principal: Principal = { tenant, subject: 'ana', roles: ['writer'], env: platform.env, region: platform.region };
  const asset = { id: `asset-of-the-killed-replica`, kind: 'Asset', tenant, data_class: 'internal', region: platform.region };
  await platform.gate.runPrivileged(principal, 'create', asset, { name: asset.id }, 'test create', () => Promise.resolve());
}
process.stdout.write('done\n');
setInterval(() => undefined, 60_000);
