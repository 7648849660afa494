import { DuckDBWarehouse, migrateWarehouse } from './warehouse/index.ts';
import { importBillFile } from './ingest/index.ts';
const w = await DuckDBWarehouse.open(':memory:');
await migrateWarehouse(w);
for (const f of ['aws-cur-2.csv','gcp-billing-export.csv','azure-cost-details.csv','messy-focus.csv']) {
  try {
    const r = await importBillFile(w, 'ingest/bills/fixtures/' + f, { tenant: 'summit-internal' });
    console.log(f, r.format, r.rows_read, r.rows_loaded, r.rows_parked, r.notes, r.parked);
    console.log(await w.query(`SELECT line, provider, invoice_id, billing_currency, billing_period_start, billing_period_end, charge_period_start, charge_period_end, charge_category, charge_class, billed_cost, effective_cost, resource_id, service_name, tags, extra FROM bill_rows WHERE batch_id = ? ORDER BY line`, [r.batch_id]));
  } catch (e) { console.log(f, 'ERR', (e as Error).message.slice(0, 1500)); }
}
