import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { buildProject } from '../../../platform/transforms/index.ts';
import { importBillFile } from '../index.ts';
import { MODEL_GENERATORS } from '../../index.ts';

const TENANT = 'summit-internal';

/** Texts of a rules file as a bill writes them: a Windows account, a quote, a backslash before a quote, template syntax. */
const OWNER = "CORP\\it's";
const SERVICE = "Shared \\' {{ this }} DB\\";

const RULES = `shared:
  - name: by-owner
    match: { tag: { owner: '${OWNER.replaceAll("'", "''")}' } }
    split: { weights: { acme: '1' } }
  - name: by-service
    match: { service_name: '${SERVICE.replaceAll("'", "''")}' }
    split: { weights: { globex: '1' } }
`;

const csvField = (text: string) => `"${text.replaceAll('"', '""')}"`;
const BILL = [
  'BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,BilledCost,EffectiveCost,BillingCurrency,Tags',
  `2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,Usage,Compute,10.00,10.00,USD,${csvField(JSON.stringify({ owner: OWNER }))}`,
  `2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,Usage,${csvField(SERVICE)},20.00,20.00,USD,{}`,
  '2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,Usage,Other,30.00,30.00,USD,{}',
].join('\n');

describe.each(TEST_ENGINES)('allocation rules on %s', (engine) => {
  const db = useWarehouse(engine);

  it('match the texts they name exactly, whatever characters those hold', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-rule-texts-'));
    await mkdir(join(dir, 'models', 'finops'), { recursive: true });
    await writeFile(join(dir, 'models', 'finops', 'allocation.yaml'), RULES);
    await writeFile(join(dir, 'bill.csv'), `${BILL}\n`);
    const imported = await importBillFile(db.warehouse, join(dir, 'bill.csv'), { tenant: TENANT });
    expect(imported.rows_parked).toBe(0);

    const report = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: join(dir, 'models'), targetDir: join(dir, 'target'), select: ['finops_bill_lines'], tenant: TENANT, trigger: 'cli' });
    expect(report.results.filter((r) => r.status !== 'success').map((r) => `${r.model}: ${r.message}`)).toEqual([]);

    const lines = await db.warehouse.query<{ service: string; shared_rule: string }>('SELECT service, shared_rule FROM finops_bill_lines ORDER BY service');
    expect(lines.map((l) => [l.service, l.shared_rule])).toEqual([
      ['Compute', 'by-owner'],
      ['Other', ''],
      [SERVICE, 'by-service'],
    ]);
  });
});
