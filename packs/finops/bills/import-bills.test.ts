import { readdirSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { DuckDBWarehouse } from '../../../kernel/warehouse/index.ts';
import { BillFile, BillFileError, importBillFile } from './index.ts';
import { TAG_LOOKUP_LIMIT } from './bill-sql.ts';

const SPEC_EXAMPLES = fileURLToPath(new URL('../../../test/data/focus-spec-examples/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const TENANT = 'summit-internal';

describe.each(TEST_ENGINES)('bill import on %s', (engine) => {
  const db = useWarehouse(engine);
  const rowsOf = (batch: string) =>
    db.warehouse.query(
      'SELECT line, provider, invoice_id, billing_currency, charge_period_start, charge_category, charge_class, billed_cost, effective_cost, resource_id, tags, extra FROM bill_rows WHERE batch_id = ? ORDER BY line',
      [batch],
    );

  it('imports every FOCUS spec example, parking only the rows with an impossible time, each with its line and column', async () => {
    const files = readdirSync(SPEC_EXAMPLES).filter((f) => f.endsWith('.csv'));
    expect(files.length).toBeGreaterThanOrEqual(26);
    const parked: string[] = [];
    for (const file of files) {
      const report = await importBillFile(db.warehouse, join(SPEC_EXAMPLES, file), { tenant: TENANT });
      expect(report.format, file).toBe('focus');
      expect(report.rows_loaded + report.rows_parked, file).toBe(report.rows_read);
      expect(report.rows_read, file).toBeGreaterThan(0);
      parked.push(...report.parked.map((p) => `${file}:${p.line}:${p.column}`));
    }
    // The purchase scenarios carry "2023-02-01T30:00:00Z" (hour 30) in ChargePeriodEnd.
    expect(parked).toEqual([
      'commitment_discount_scenarios__commitment_discount_purchase_scenario_2.csv:4:ChargePeriodEnd',
      'commitment_discount_scenarios__commitment_discount_purchase_scenario_3.csv:5:ChargePeriodEnd',
    ]);
    const stored = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM bill_rows_parked WHERE tenant_id = ?', [TENANT]);
    expect(Number(stored[0]!.n)).toBe(2);
    // Spreadsheet dates (M/D/YY) and money ("$10,000.00") of the SaaS examples read as dates and decimals.
    const saas = await db.warehouse.query(
      `SELECT billing_period_start, billed_cost FROM bill_rows b JOIN bill_batches USING (tenant_id, batch_id)
       WHERE file_name = 'saas_examples__simple_agreements__simple_saas_agreements_a1.csv'`,
    );
    expect(saas).toHaveLength(1);
    expect(String(saas[0]!.billed_cost)).toBe('10000.0000000000');
  });

  it('re-importing the same file writes nothing and answers the first batch', async () => {
    const file = join(SPEC_EXAMPLES, readdirSync(SPEC_EXAMPLES).filter((f) => f.endsWith('.csv'))[0]!);
    const first = await importBillFile(db.warehouse, file, { tenant: TENANT });
    const again = await importBillFile(db.warehouse, file, { tenant: TENANT });
    expect(again).toMatchObject({ already_imported: true, batch_id: first.batch_id, checksum: first.checksum, rows_loaded: first.rows_loaded });
    const count = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM bill_rows');
    expect(Number(count[0]!.n)).toBe(first.rows_loaded);
    const batches = await db.warehouse.query('SELECT batch_id, rows_read, rows_loaded, rows_parked, format FROM bill_batches');
    expect(batches).toHaveLength(1);
    expect(first.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('imports a file once when two imports of it run at once: one batch, its rows once, the other answered as a re-import', async () => {
    const file = join(SPEC_EXAMPLES, readdirSync(SPEC_EXAMPLES).filter((f) => f.endsWith('.csv'))[1]!);
    const reports = await Promise.all([importBillFile(db.warehouse, file, { tenant: TENANT }), importBillFile(db.warehouse, file, { tenant: TENANT })]);
    expect(reports.map((r) => r.already_imported).sort()).toEqual([false, true]);
    expect(reports[0]!.batch_id).toBe(reports[1]!.batch_id);
    const batches = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM bill_batches');
    const rows = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM bill_rows');
    expect([Number(batches[0]!.n), Number(rows[0]!.n)]).toEqual([1, reports[0]!.rows_loaded]);
  });

  it('imports one file for two tenants at once as two batches, each tenant\'s rows its own, each re-import answered with its own batch', async () => {
    const file = join(FIXTURES, 'messy-focus.csv');
    const [a, b] = await Promise.all([importBillFile(db.warehouse, file, { tenant: 'tenant-a' }), importBillFile(db.warehouse, file, { tenant: 'tenant-b' })]);
    expect([a.already_imported, b.already_imported]).toEqual([false, false]);
    expect(a.batch_id).not.toBe(b.batch_id);
    const owners = await db.warehouse.query<{ batch_id: string; tenant_id: string; n: number }>(
      'SELECT batch_id, tenant_id, count(*) AS n FROM bill_rows WHERE batch_id IN (?, ?) GROUP BY batch_id, tenant_id ORDER BY tenant_id',
      [a.batch_id, b.batch_id],
    );
    expect(owners.map((r) => [r.batch_id, r.tenant_id, Number(r.n)])).toEqual([[a.batch_id, 'tenant-a', a.rows_loaded], [b.batch_id, 'tenant-b', b.rows_loaded]]);
    const again = await importBillFile(db.warehouse, file, { tenant: 'tenant-b' });
    expect(again).toMatchObject({ already_imported: true, batch_id: b.batch_id });
  });

  it('reads a messy FOCUS export: NULL text, quoted and formatted numbers, odd tag keys, credits, corrections, x_ columns, bad rows parked', async () => {
    const report = await importBillFile(db.warehouse, join(FIXTURES, 'messy-focus.csv'), { tenant: TENANT });
    expect(report).toMatchObject({ rows_read: 7, rows_loaded: 4, rows_parked: 3 });
    expect(report.parked.map((p) => [p.line, p.column, p.code])).toEqual([
      [6, 'BilledCost', 'BILL_VALUE_INVALID'],
      [7, '', 'BILL_ROW_MALFORMED'],
      [8, 'ChargePeriodStart', 'BILL_VALUE_INVALID'],
    ]);
    expect(report.parked[0]!.raw).toContain('"BilledCost":"twelve"');
    const rows = await rowsOf(report.batch_id);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 5, 9]);
    // Tags that are no JSON object name nobody: the charge is loaded untagged, the text kept in extra.
    expect(rows[3]).toMatchObject({ tags: '{}', billed_cost: '0.0000000000' });
    expect(JSON.parse(String(rows[3]!.extra))).toEqual({ x_CostCenter: null, Tags: '{not json}' });
    expect(report.notes).toEqual([expect.stringContaining('1 row(s) with Tags that are not a JSON object (line 9)')]);
    expect(rows[0]).toMatchObject({
      provider: 'SimCloud', billing_currency: 'USD', charge_category: 'Usage', charge_class: null,
      billed_cost: '12.5000000000', effective_cost: '10.0000000000',
    });
    expect(JSON.parse(String(rows[0]!.tags))).toEqual({ tenant: 'acme', cost_center: '7' });
    expect(JSON.parse(String(rows[0]!.extra))).toEqual({ x_CostCenter: 'cc-1' });
    expect(rows[1]).toMatchObject({ charge_category: 'Credit', billed_cost: '-3.2500000000', resource_id: null, tags: '{}' });
    expect(rows[2]).toMatchObject({ charge_class: 'Correction', billed_cost: '1200.0000000000' });
    expect((rows[2]!.charge_period_start as Date).toISOString()).toBe('2026-09-15T00:00:00.000Z');
  });

  it('maps an AWS CUR 2.0 export onto FOCUS, with savings-plan usage at its amortized cost', async () => {
    const report = await importBillFile(db.warehouse, join(FIXTURES, 'aws-cur-2.csv'), { tenant: TENANT });
    expect(report).toMatchObject({ format: 'aws-cur', rows_loaded: 6, rows_parked: 0 });
    const rows = await rowsOf(report.batch_id);
    expect(rows.map((r) => [r.charge_category, r.billed_cost, r.effective_cost])).toEqual([
      ['Usage', '0.0832000000', '0.0832000000'],
      ['Usage', '0.0832000000', '0.0500000000'],
      ['Usage', '-0.0832000000', '0.0000000000'],
      ['Purchase', '0.0600000000', '0.0600000000'],
      ['Tax', '1.2500000000', '1.2500000000'],
      ['Credit', '-5.0000000000', '-5.0000000000'],
    ]);
    expect(rows[0]).toMatchObject({ provider: 'AWS', invoice_id: 'EUINAA24-0001', billing_currency: 'USD' });
    expect(JSON.parse(String(rows[0]!.tags))).toEqual({ tenant: 'acme', cost_center: 'saas' });
  });

  it('maps a GCP billing export: credits netted, labels as tags, tax and adjustments as their categories', async () => {
    const report = await importBillFile(db.warehouse, join(FIXTURES, 'gcp-billing-export.csv'), { tenant: TENANT });
    expect(report).toMatchObject({ format: 'gcp', rows_loaded: 4, rows_parked: 0 });
    const rows = await rowsOf(report.batch_id);
    expect(rows.map((r) => [r.charge_category, r.charge_class, r.billed_cost])).toEqual([
      ['Usage', null, '1.2500000000'],
      ['Usage', null, '0.4200000000'],
      ['Tax', null, '0.1500000000'],
      ['Adjustment', 'Correction', '-0.3000000000'],
    ]);
    expect(JSON.parse(String(rows[0]!.tags))).toEqual({ tenant: 'acme', team: 'core' });
    expect((rows[3]!.charge_period_start as Date).toISOString()).toBe('2026-09-28T00:00:00.000Z');
  });

  it('maps an Azure cost export: US dates, inclusive ends made exclusive, brace-less tags, refunds as credits', async () => {
    const report = await importBillFile(db.warehouse, join(FIXTURES, 'azure-cost-details.csv'), { tenant: TENANT });
    expect(report).toMatchObject({ format: 'azure', rows_loaded: 4, rows_parked: 0 });
    const rows = await rowsOf(report.batch_id);
    expect(rows.map((r) => [r.charge_category, r.billed_cost])).toEqual([
      ['Usage', '2.3040000000'],
      ['Usage', '0.0000000000'],
      ['Usage', '0.3500000000'],
      ['Credit', '-10.0000000000'],
    ]);
    expect(JSON.parse(String(rows[0]!.tags))).toEqual({ tenant: 'acme', env: 'prod' });
    expect((rows[0]!.charge_period_start as Date).toISOString()).toBe('2026-10-05T00:00:00.000Z');
  });

  it('imports a Parquet FOCUS file, reporting rows by number', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-parquet-'));
    const parquet = join(dir, 'bill.parquet');
    const scratch = await DuckDBWarehouse.open(':memory:');
    await scratch.execute(`COPY (SELECT * FROM read_csv('${join(FIXTURES, 'messy-focus.csv')}', all_varchar = true, null_padding = true) LIMIT 3) TO '${parquet}' (FORMAT parquet)`);
    await scratch.close();
    const report = await importBillFile(db.warehouse, parquet, { tenant: TENANT });
    expect(report).toMatchObject({ format: 'focus', rows_read: 3, rows_loaded: 3, rows_parked: 0 });
  });

  it('never fails a file for one odd row: repeated GCP labels, an Azure price × quantity too large, a quote left open mid-file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-odd-bills-'));
    const write = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return importBillFile(db.warehouse, join(dir, name), { tenant: TENANT });
    };
    const gcp = await write(
      'gcp.csv',
      'billing_account_id,service.description,usage_start_time,usage_end_time,labels,cost,currency,cost_type,invoice.month,credits\n' +
        'b1,Compute,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,"[{""key"":""tenant"",""value"":""acme""},{""key"":""Tenant"",""value"":""globex""}]",1.5,USD,regular,202610,[]\n',
    );
    expect(gcp).toMatchObject({ rows_loaded: 1, rows_parked: 0 });
    expect((await rowsOf(gcp.batch_id)).map((r) => JSON.parse(String(r.tags)))).toEqual([{ tenant: 'acme', tenant__2: 'globex' }]);

    const azure = await write(
      'azure.csv',
      'BillingAccountId,InvoiceId,BillingCurrencyCode,Date,ChargeType,CostInBillingCurrency,PayGPrice,Quantity,Tags\n' +
        'b,I,USD,10/05/2026,Usage,1.5,99999999999999999999,99999999999999999999,"""tenant"": ""acme"", ""Tenant"": ""b"""\n',
    );
    expect(azure).toMatchObject({ rows_loaded: 1, rows_parked: 0 });
    const [azureRow] = await db.warehouse.query('SELECT list_cost, tags FROM bill_rows WHERE batch_id = ?', [azure.batch_id]);
    expect(azureRow).toMatchObject({ list_cost: null });
    expect(JSON.parse(String(azureRow!.tags))).toEqual({ tenant: 'acme', tenant__2: 'b' });

    const row = (cost: string, tags = '"{}"') => `a,I,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Usage,${cost},${cost},${tags}\n`;
    // A cost no bill line has is parked: one would overflow the sums and shares of every tenant's attribution.
    const huge = await write(
      'huge-cost.csv',
      'BillingAccountId,InvoiceId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,Tags\n' +
        row('9999999999.9999999999') + row('10000000000') + row('-1000000000000000000'),
    );
    expect(huge).toMatchObject({ rows_loaded: 1, rows_parked: 2 });
    expect(huge.parked.map((p) => [p.line, p.column, p.code])).toEqual([[3, 'BilledCost', 'BILL_VALUE_INVALID'], [4, 'BilledCost', 'BILL_VALUE_INVALID']]);
    expect(huge.parked[0]!.reason).toContain("BilledCost of 10^10 or more is no bill line's cost; got 10000000000");
    const open = await write(
      'open-quote.csv',
      'BillingAccountId,InvoiceId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,Tags\n' +
        row('1') + row('2', '"{oops') + row('3') + row('4'),
    );
    // What is counted as loaded is what was written: no row vanishes between the count and the table.
    expect(open.rows_loaded).toBe((await rowsOf(open.batch_id)).length);
    expect(open.rows_loaded + open.rows_parked).toBe(open.rows_read);
    expect(open.parked.map((p) => p.code)).toEqual(['BILL_ROW_MALFORMED']);
    expect(open.notes.join()).toContain('lines are given as record numbers');

    // A record longer than the reader takes (2 MB a line) is parked whole, with the reader's reason: no failed import.
    const long = await write(
      'long-record.csv',
      'BillingAccountId,InvoiceId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,Tags\n' +
        row('1') + row('2', `"${'x'.repeat(3 * 1024 * 1024)}"`) + row('3'),
    );
    expect(long).toMatchObject({ rows_loaded: 2, rows_parked: 1 });
    expect(long.parked.map((p) => [p.code, p.column])).toEqual([['BILL_ROW_MALFORMED', '']]);
    expect(long.parked[0]!.reason).toMatch(/line size/i);

    // "0,125" is no thousands-separated number: parked, not read as 125.
    const comma = await write(
      'decimal-comma.csv',
      'BillingAccountId,InvoiceId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,Tags\n' + row('"0,125"') + row('"1,250.50"'),
    );
    expect(comma.parked.map((p) => [p.line, p.column, p.code])).toEqual([[2, 'BilledCost', 'BILL_VALUE_INVALID']]);
    expect((await rowsOf(comma.batch_id)).map((r) => r.billed_cost)).toEqual(['1250.5000000000']);
  });

  it('reads what real exports hold: GCP without labels, GCP credits netted or the row parked, CUR tag values and charge types as they are', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-bill-exports-'));
    const write = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return importBillFile(db.warehouse, join(dir, name), { tenant: TENANT });
    };
    const bare = await write('gcp-bare.csv', 'billing_account_id,service.description,usage_start_time,cost,currency\nb1,Compute,2026-10-01T00:00:00Z,1.5,USD\n');
    expect(bare).toMatchObject({ rows_loaded: 1, rows_parked: 0 });

    const credited = (credits: string) => `b1,Compute,2026-10-01T00:00:00Z,1.5,USD,regular,202610,"${credits.replaceAll('"', '""')}"\n`;
    const gcp = await write(
      'gcp-credits.csv',
      'billing_account_id,service.description,usage_start_time,cost,currency,cost_type,invoice.month,credits\n' +
        credited('[{"name":"CUD","amount":-0.25}]') + credited('[{"amount":"-$0.25"}]') + credited('[]') +
        credited('not json') + credited('{"amount":-0.25}') + credited('[{"amount":-1e400}]') + credited('[{"amount":-0.25},{"name":"promo"}]'),
    );
    expect((await rowsOf(gcp.batch_id)).map((r) => [r.line, r.billed_cost])).toEqual([[2, '1.2500000000'], [3, '1.2500000000'], [4, '1.5000000000']]);
    expect(gcp.parked.map((p) => [p.line, p.column, p.code])).toEqual([5, 6, 7, 8].map((line) => [line, 'BilledCost', 'BILL_VALUE_INVALID']));
    expect(gcp.parked[0]!.reason).toContain('less credits that are not a list of decimal amounts: not json');

    const cur = await write(
      'cur.csv',
      'line_item_line_item_type,line_item_unblended_cost,line_item_usage_start_date,bill_billing_period_start_date,line_item_currency_code,resource_tags\n' +
        ['Usage', '', 'usage', 'SppDiscount', 'RiVolumeDiscount', 'Tax', 'Something'].map((type) =>
          `${type},1.00,2026-10-01T00:00:00Z,2026-10-01T00:00:00Z,USD,"{""user_team"":""user_admins"", ""note"":""a,\\""user_b"",""user_team"":""two""}"\n`).join(''),
    );
    const rows = await rowsOf(cur.batch_id);
    expect(rows.map((r) => r.charge_category)).toEqual(['Usage', 'Usage', 'Usage', 'Credit', 'Credit', 'Tax', 'Adjustment']);
    expect(JSON.parse(String(rows[0]!.tags))).toEqual({ team: 'user_admins', note: 'a,"user_b', team__2: 'two' });

    // A CUR export as AWS delivers it, gzip-compressed, named .csv.gz or not (an upload's temporary name): read as the
    // text it holds, its lines numbered in the text; a broken one is refused.
    const curText = 'line_item_line_item_type,line_item_unblended_cost,line_item_usage_start_date,bill_billing_period_start_date,line_item_currency_code\n' +
      'Usage,1.50,2026-10-01T00:00:00Z,2026-10-01T00:00:00Z,USD\nUsage,oops,2026-10-01T00:00:00Z,2026-10-01T00:00:00Z,USD\nTax,0.25,2026-10-01T00:00:00Z,2026-10-01T00:00:00Z,USD\n';
    for (const name of ['cur.csv.gz', 'cur-upload']) {
      // Each file its own bytes: the same checksum would be the same bill, already imported.
      await writeFile(join(dir, name), gzipSync(name === 'cur-upload' ? curText.replace('Usage,1.50', 'Usage,1.5') : curText));
      const gz = await importBillFile(db.warehouse, join(dir, name), { tenant: TENANT });
      expect(gz).toMatchObject({ format: 'aws-cur', rows_read: 3, rows_loaded: 2, rows_parked: 1 });
      expect(gz.parked.map((p) => [p.line, p.column])).toEqual([[3, 'BilledCost']]);
      expect((await rowsOf(gz.batch_id)).map((r) => [r.line, r.billed_cost])).toEqual([[2, '1.5000000000'], [4, '0.2500000000']]);
    }
    await writeFile(join(dir, 'broken.csv.gz'), gzipSync(curText).subarray(0, 40));
    await expect(importBillFile(db.warehouse, join(dir, 'broken.csv.gz'), { tenant: TENANT })).rejects.toThrow(BillFileError);

    // Two exports joined: the second's header in another column order refuses the file, before anything is stored;
    // in the same order it is a row that does not read.
    const header = (columns: string[]) => `${columns.join(',')}\n`;
    const focus = ['BillingAccountId', 'BillingCurrency', 'ChargePeriodStart', 'ChargeCategory', 'BilledCost', 'EffectiveCost'];
    const swapped = [...focus.slice(0, 4), 'EffectiveCost', 'BilledCost'];
    const before = (await db.warehouse.query('SELECT count(*) AS n FROM bill_rows'))[0]!.n;
    await expect(write('joined.csv', header(focus) + 'a,USD,2026-10-01T00:00:00Z,Usage,100,1\n' + header(swapped) + 'a,USD,2026-10-01T00:00:00Z,Usage,1,100\n'))
      .rejects.toThrow(/line 3 is the header again with its columns in another order/);
    expect((await db.warehouse.query('SELECT count(*) AS n FROM bill_rows'))[0]!.n).toBe(before);
    // As a header is written again: after a byte-order mark (two exports joined by cat), with spaces, with a name twice.
    await expect(write('joined-bom.csv', header(focus) + 'a,USD,2026-10-01T00:00:00Z,Usage,100,1\n\uFEFF' + header(swapped) + 'a,USD,2026-10-01T00:00:00Z,Usage,1,100\n'))
      .rejects.toThrow(/line 3 is the header again/);
    await expect(write('joined-spaces.csv', header(focus) + 'a,USD,2026-10-01T00:00:00Z,Usage,100,1\n' + swapped.join(', ') + '\na,USD,2026-10-01T00:00:00Z,Usage,1,100\n'))
      .rejects.toThrow(/line 3 is the header again/);
    const twice = [...focus, 'x_note', 'x_note'];
    await expect(write('joined-twice.csv', header(twice) + 'a,USD,2026-10-01T00:00:00Z,Usage,100,1,n,m\n' + header([...swapped, 'x_note', 'x_note']) + 'a,USD,2026-10-01T00:00:00Z,Usage,1,100,n,m\n'))
      .rejects.toThrow(/line 3 is the header again/);
    const same = await write('joined-same.csv', header(focus) + 'a,USD,2026-10-01T00:00:00Z,Usage,100,1\n' + header(focus) + 'a,USD,2026-10-01T00:00:00Z,Usage,100,1\n');
    expect(same).toMatchObject({ rows_loaded: 2, rows_parked: 1 });

    // One CRLF line in an LF file (exports joined): refused in the user's terms, not the reader's internals.
    await expect(write('mixed-line-ends.csv', header(focus) + 'a,USD,2026-10-01T00:00:00Z,Usage,1,1\r\n' + 'a,USD,2026-10-01T00:00:00Z,Usage,1,1\n'))
      .rejects.toThrow(/the file mixes line ends .*: save it with one kind of line end throughout/);

    // Azure dates with a time of day after them, as some exports write them: the inclusive ends still shift a day.
    const azure = await write(
      'azure-times.csv',
      'BillingAccountId,InvoiceId,BillingCurrencyCode,BillingPeriodStartDate,BillingPeriodEndDate,Date,ChargeType,CostInBillingCurrency\n' +
        'b,I,USD,10/01/2026 00:00:00,10/31/2026 00:00:00,10/5/2026 12:00:00 AM,Usage,1.5\n',
    );
    expect(azure).toMatchObject({ rows_loaded: 1, rows_parked: 0 });
    const [azureRow] = await db.warehouse.query('SELECT charge_period_end, billing_period_end FROM bill_rows WHERE batch_id = ?', [azure.batch_id]);
    expect([azureRow!.charge_period_end, azureRow!.billing_period_end].map((d) => (d as Date).toISOString())).toEqual(['2026-10-06T00:00:00.000Z', '2026-11-01T00:00:00.000Z']);
  });

  it('reads a file whose own columns are named like the import\'s working columns, keeping them in extra, in either row order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-bill-names-'));
    const own = [
      'record', 'line', 'loadable', 'problem', 'problem_column', 'problem_code', 'problem_reason', 'tags_unreadable', 'tenant_id', 'batch_id',
      'extra', 'source_row', 'v_billed_cost', 'file_row_number', 'rowid',
    ];
    // More distinct Tags texts than the lookup takes: the rows are numbered from a copy of the file.
    for (const fillers of [0, TAG_LOOKUP_LIMIT + 1]) {
      const file = join(dir, `names-${fillers}.csv`);
      const row = (cost: string, prefix: string, tags: string) =>
        `a,I,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Usage,${cost},1.5,${own.map((n) => `${prefix}-${n}`).join(',')},"${tags}"\n`;
      await writeFile(
        file,
        `BillingAccountId,InvoiceId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,${own.join(',')},Tags\n` +
          row('1.5', 'x', '{}') + row('not money', 'y', '{}') + Array.from({ length: fillers }, (_, i) => row('1', 'f', `{""n"": ""${i}""}`)).join(''),
      );
      const report = await importBillFile(db.warehouse, file, { tenant: TENANT });
      expect(report, `${fillers} fillers`).toMatchObject({ rows_read: 2 + fillers, rows_loaded: 1 + fillers, rows_parked: 1 });
      expect(report.parked).toMatchObject([{ line: 3, column: 'BilledCost', code: 'BILL_VALUE_INVALID' }]);
      // `rowid` is DuckDB's row number: the file's column of that name is kept as a repeat is, numbered.
      const kept = (prefix: string) => Object.fromEntries(own.map((n) => [n === 'rowid' ? 'rowid_2' : n, `${prefix}-${n}`]));
      expect(JSON.parse(report.parked[0]!.raw)).toMatchObject(kept('y'));
      const [first, second] = await rowsOf(report.batch_id);
      expect(first).toMatchObject({ line: 2 });
      expect(JSON.parse(String(first!.extra))).toEqual(kept('x'));
      if (fillers) expect([second!.line, JSON.parse(String(second!.tags))]).toEqual([4, { n: '0' }]);
    }
  });

  it('parks a record with bytes that are not UTF-8, in any column, and loads the rest, in either row order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-bill-utf8-'));
    const header = Buffer.from('BillingAccountId,BillingCurrency,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,ResourceName,Tags\n');
    const row = (resource: Buffer, tags: Buffer) =>
      Buffer.concat([Buffer.from('a,USD,2026-10-02T00:00:00Z,Usage,1.5,1.5,'), resource, Buffer.from(',"'), tags, Buffer.from('"\n')]);
    const latin1 = Buffer.from('caf\xe9', 'latin1');
    for (const fillers of [3, TAG_LOOKUP_LIMIT + 1]) {
      for (const where of ['ResourceName', 'Tags']) {
        const file = join(dir, `bad-${where}-${fillers}.csv`);
        const good = (i: number) => row(Buffer.from(`r-${i}`), Buffer.from(`{""n"": ""${i}""}`));
        const bad = where === 'Tags' ? row(Buffer.from('r-bad'), Buffer.concat([Buffer.from('{""n"": ""'), latin1, Buffer.from('""}')])) : row(latin1, Buffer.from('{}'));
        await writeFile(file, Buffer.concat([header, good(0), bad, ...Array.from({ length: fillers }, (_, i) => good(i + 1))]));
        const report = await importBillFile(db.warehouse, file, { tenant: TENANT });
        expect(report, `${where}, ${fillers} fillers`).toMatchObject({ rows_read: 2 + fillers, rows_loaded: 1 + fillers, rows_parked: 1 });
        expect(report.parked, `${where}, ${fillers} fillers`).toMatchObject([{ line: 3, code: 'BILL_ROW_MALFORMED' }]);
        const lines = await db.warehouse.query<{ line: number }>('SELECT line FROM bill_rows WHERE batch_id = ? ORDER BY line LIMIT 3', [report.batch_id]);
        expect(lines.map((r) => Number(r.line))).toEqual([2, 4, 5]);
      }
    }
  }, 60_000);

  it('refuses a file that is no bill, naming it and what is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-bill-'));
    const file = join(dir, 'people.csv');
    await writeFile(file, 'name,age\nada,36\n');
    await expect(importBillFile(db.warehouse, file, { tenant: TENANT })).rejects.toThrow(BillFileError);
    await expect(importBillFile(db.warehouse, file, { tenant: TENANT })).rejects.toThrow(/people\.csv: cannot tell the format/);
    await expect(importBillFile(db.warehouse, file, { tenant: TENANT, format: 'aws-cur' })).rejects.toThrow(/needs a line_item_unblended_cost column/);
    await expect(importBillFile(db.warehouse, join(dir, 'missing.csv'), { tenant: TENANT })).rejects.toThrow(/missing\.csv: no such file/);
  });
});

describe('bill import on duckdb, Parquet and CSV hand-offs', () => {
  const db = useWarehouse('duckdb');

  it('keeps each row on its own line in a file read in parallel: rows with and without Tags, unreadable Tags, parked values, refused and multi-line records', async () => {
    // Rows are typed in file order and numbered by their position: a join (the Tags lookup once was one) reorders rows.
    const dir = await mkdtemp(join(tmpdir(), 'companyos-bill-order-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    // Long records, so that DuckDB splits each file among its threads (a thread reads ~8 MB of a CSV file at a time).
    const ROWS = 60_000;
    const PAD = 'x'.repeat(400);
    // Few distinct Tags texts: rows numbered by position; many: by an ordered copy of the file (`TAG_LOOKUP_LIMIT`).
    for (const [broken, tagSets] of [[false, TAG_LOOKUP_LIMIT / 2], [true, TAG_LOOKUP_LIMIT / 2], [false, TAG_LOOKUP_LIMIT * 2], [true, TAG_LOOKUP_LIMIT * 2]] as const) {
      const file = join(dir, `order-${broken}-${tagSets}.csv`);
      const lines = ['BillingAccountId,BillingCurrency,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,ResourceId,Tags'];
      for (let i = 0; i < ROWS; i++) {
        const line = lines.length + 1;
        const tags = i % 7 === 0 ? '' : i % 11 === 0 ? '"{oops"' : broken && i === 45_000 ? `"{""Tenant"":\n""t-${line % tagSets}""}"` : `"{""Tenant"": ""t-${line % tagSets}""}"`;
        const cost = i % 1000 === 999 ? 'bad' : '1.5';
        lines.push(`a,USD,2026-10-02T00:00:00Z,Usage,${cost},1.5,r-${line}-${PAD},${tags}${broken && i === 35_000 ? ',surplus' : ''}`);
        if (tags.includes('\n')) lines.push('');
      }
      await writeFile(file, lines.filter((l, i) => l !== '' || i === 0).join('\n') + '\n');
      const report = await importBillFile(db.warehouse, file, { tenant: TENANT });
      expect(report, `broken ${broken}, ${tagSets} tag sets`).toMatchObject({ rows_read: ROWS, rows_parked: ROWS / 1000 + (broken ? 1 : 0) });
      const [check] = await db.warehouse.query<Record<string, number>>(
        `SELECT count(*) AS n, count(*) FILTER (WHERE resource_id <> 'r-' || line || '-${PAD}') AS off_line,
           count(*) FILTER (WHERE tags <> '{}' AND tags <> '{"tenant":"t-' || (line % ${tagSets}) || '"}') AS off_tags,
           count(*) FILTER (WHERE tags = '{}') AS untagged
         FROM bill_rows WHERE batch_id = ?`,
        [report.batch_id],
      );
      const untagged = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 1000 !== 999 && !(broken && i === 35_000) && (i % 7 === 0 || i % 11 === 0)).length;
      expect(Object.values(check!).map(Number), `broken ${broken}, ${tagSets} tag sets`).toEqual([report.rows_loaded, 0, 0, untagged]);
      const parked = await db.warehouse.query<{ line: number; reason_code: string; raw: string }>(
        'SELECT line, reason_code, raw FROM bill_rows_parked WHERE batch_id = ? ORDER BY line',
        [report.batch_id],
      );
      expect(parked).toHaveLength(report.rows_parked);
      for (const row of parked) {
        const resource = row.reason_code === 'BILL_ROW_MALFORMED' ? row.raw.split(',')[6] : (JSON.parse(row.raw) as { ResourceId: string }).ResourceId;
        expect(resource, `broken ${broken}, ${tagSets} tag sets: ${row.raw}`).toBe(`r-${row.line}-${PAD}`);
      }
    }
  }, 120_000);

  it('refuses a file that changed between its two reads, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-bill-changed-'));
    const file = join(dir, 'growing.csv');
    const row = (tags: string) => `a,I,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Usage,1.5,1.5,"${tags}"\n`;
    const header = 'BillingAccountId,InvoiceId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,Tags\n';
    for (const more of [row('{}'), row('{""new"": ""tag""}')]) {
      await writeFile(file, header + row('{}'));
      const bill = await BillFile.open(file);
      try {
        await appendFile(file, more);
        await expect(bill.writeRows(join(dir, 'rows.parquet'), TENANT, 'b')).rejects.toThrow(/growing\.csv: the file changed while it was read/);
      } finally {
        await bill.close();
      }
    }
  });

  it('loads the same rows, to the last digit and second, whether the warehouse reads the Parquet file or the CSV one', async () => {
    // The same warehouse, as one that reads no Parquet (a change-logging warehouse, ClickHouse) sees it.
    const csvOnly = new Proxy(db.warehouse, {
      get: (target, name) => (name === 'insertParquet' ? undefined : (Reflect.get(target, name, target) as unknown)),
    });
    const everyColumn = async (batch: string) =>
      (await db.warehouse.query(`SELECT * EXCLUDE (batch_id) FROM bill_rows WHERE batch_id = ? ORDER BY line`, [batch]))
        .map((row) => JSON.stringify(row, (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value)));
    for (const fixture of ['messy-focus.csv', 'aws-cur-2.csv', 'gcp-billing-export.csv', 'azure-cost-details.csv']) {
      const parquet = await importBillFile(db.warehouse, join(FIXTURES, fixture), { tenant: TENANT, checksum: `parquet-${fixture}` });
      const csv = await importBillFile(csvOnly, join(FIXTURES, fixture), { tenant: TENANT, checksum: `csv-${fixture}` });
      expect(parquet.rows_loaded, fixture).toBeGreaterThan(0);
      expect(csv.rows_loaded, fixture).toBe(parquet.rows_loaded);
      expect(await everyColumn(csv.batch_id), fixture).toEqual(await everyColumn(parquet.batch_id));
    }
  });
});
