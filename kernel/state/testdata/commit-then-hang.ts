// A writer killed after its commit: commits one approval request per argument, prints each
// id once committed, then waits to be SIGKILLed (kernel/state/duckdb-state-store.test.ts).
import { DuckDBStateStore, ensureStateSchema } from '../index.ts';
import { TABLES } from '../../warehouse/index.ts';

const [path, ...ids] = process.argv.slice(2);
const store = await DuckDBStateStore.open(path!, TABLES);
await ensureStateSchema(store);
for (const id of ids) {
  await store.transaction((tx) => tx.insert('approval_requests', [{
    tenant_id: 'acme', request_id: id, entity_id: 'e-1', action: 'delete', requested_by: 'ana', requested_at: new Date(), decision_id: 'd',
  }]));
  process.stdout.write(`${id}\n`);
}
setInterval(() => undefined, 60_000);
