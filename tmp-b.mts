import { readdirSync } from 'node:fs';
import { DuckDBWarehouse, migrateWarehouse } from './warehouse/index.ts';
import { importBillFile } from './ingest/index.ts';
const w = await DuckDBWarehouse.open(':memory:');
await migrateWarehouse(w);
const dir = '/work/shared/data/focus-spec-examples/';
for (const f of readdirSync(dir)) {
  try {
    const r = await importBillFile(w, dir + f, { tenant: 'summit-internal' });
    console.log(f.slice(0, 60), r.format, r.rows_read, r.rows_loaded, r.rows_parked, r.notes.join('; '), r.parked.map(p => `${p.line}:${p.column}:${p.reason}`).join(' | '));
  } catch (e) { console.log(f, 'ERR', (e as Error).message); }
}
console.log(await w.query('SELECT line, billing_period_start, charge_period_start, charge_category, billed_cost, effective_cost, tags, extra FROM bill_rows LIMIT 4'));
const r2 = await importBillFile(w, dir + readdirSync(dir)[0], { tenant: 'summit-internal' });
console.log(r2.already_imported);
