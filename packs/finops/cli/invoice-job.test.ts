import { describe, expect, it } from 'vitest';
import { readReceipt } from '../../../kernel/ledger/index.ts';
import { createPlatform } from '../../../surfaces/compose/index.ts';
import { loadConfig, localPlatformClient } from '../../../surfaces/cli/kit/index.ts';
import { stateOptionsFor, useWarehouse } from '../../../test/support/engines.ts';
import { buildSimulatedFinops, OPERATOR } from '../../../test/support/finops.ts';
import { invoicesJob, previousMonth } from './invoice-job.ts';

describe('the scheduled invoice run (finops.invoices)', () => {
  const db = useWarehouse('duckdb');

  it('works on the month before the one it fires in', () => {
    expect([previousMonth(new Date('2026-11-01T06:00:00Z')), previousMonth(new Date('2026-01-31T23:59:59Z'))]).toEqual(['2026-10', '2025-12']);
  });

  it('invoices last month through the gate, with a receipt, and revises nothing when run again', async () => {
    await buildSimulatedFinops(db.warehouse, `${db.harness.dataDir}/target`);
    const platform = await createPlatform({ warehouse: db.warehouse, state: stateOptionsFor(db.warehouse) });
    try {
      const client = localPlatformClient(platform, loadConfig({ COMPANYOS_DATA_DIR: db.harness.dataDir }));
      const now = new Date('2026-11-01T06:00:00Z');
      expect(await invoicesJob.run({ client, now })).toMatch(/^invoices for 2026-10: 3 tenants, 3 new revisions, 0 delivered, 0 failed$/);
      expect(await invoicesJob.run({ client, now })).toMatch(/^invoices for 2026-10: 3 tenants, 0 new revisions/);
      const entries = await platform.state.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE tenant_id = ? ORDER BY log_index', [OPERATOR]);
      expect(entries.map((row) => readReceipt(JSON.parse(row.entry), [platform.ledger.keyring.active]).predicate.action)).toEqual(['generate_invoices', 'generate_invoices']);
      const [stored] = await platform.state.query<{ n: number }>('SELECT count(*) AS n FROM invoices WHERE tenant_id = ?', [OPERATOR]);
      expect(Number(stored!.n)).toBe(3);
    } finally {
      await platform.close();
    }
  });
});
