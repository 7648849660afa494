import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useApi } from './support/api.ts';
import { TEST_ENGINES, useWarehouse } from './support/engines.ts';
import { MODELS, OPERATOR } from './support/finops.ts';
import { buildProject } from '../platform/transforms/index.ts';
import { MODEL_GENERATORS } from '../packs/index.ts';

const MESSY = fileURLToPath(new URL('./data/messy-bills/', import.meta.url));
const TARGET = '/tmp/companyos-messy-bills-target';
const SCALE = 10;

/**
 * A bill's decimal text as stored: scaled to 10 places, rounded half away from zero (packs/finops/bills/README.md),
 * read here without the importer's code and without floats. Null for what is no number.
 */
function storedUnits(text: string): bigint | null {
  const plain = text.trim().replace(/^(-?)\$/, '$1').replace(/^(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?)$/, (m) => m.replaceAll(',', ''));
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(plain);
  if (!match || !(match[2] || match[3])) return null;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  // digits × 10^(exponent − fraction length), brought to 10 places with one more digit to round on.
  const shift = Number(exponent) - fraction.length + SCALE + 1;
  const digits = BigInt(`${whole}${fraction}` || '0');
  const tenths = shift >= 0 ? digits * 10n ** BigInt(shift) : digits / 10n ** BigInt(-shift);
  const units = (tenths + 5n) / 10n;
  return sign === '-' ? -units : units;
}

const asText = (units: bigint) => {
  const abs = units < 0n ? -units : units;
  const text = abs.toString().padStart(SCALE + 1, '0');
  return `${units < 0n ? '-' : ''}${text.slice(0, -SCALE)}.${text.slice(-SCALE)}`;
};
const asUnits = (text: string) => storedUnits(text)!;

interface FileRow {
  line: number;
  fields: Record<string, string>;
  parks: boolean;
}

/** The file's records with the physical line each starts on, read by csv-parse (not by the importer). */
function fileRows(name: string, noteColumn: string): FileRow[] {
  const records = parse(readFileSync(`${MESSY}${name}`), { relax_column_count: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
  const [header, ...rows] = records;
  return rows.map(({ record, info }) => {
    const fields = Object.fromEntries(header!.record.map((column, i) => [column, record[i] ?? '']).reverse());
    return { line: info.lines - (record.join('').match(/\n/g)?.length ?? 0), fields, parks: (fields[noteColumn] ?? '').startsWith('parks:') };
  });
}

/** Per invoice, the sum of a cost column over the rows that load: what the bill itself says is owed. */
function totals(rows: FileRow[], invoice: string, cost: (row: FileRow) => string): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const row of rows.filter((r) => !r.parks)) {
    const units = storedUnits(cost(row));
    expect(units, `line ${row.line}: ${cost(row)}`).not.toBeNull();
    sums.set(row.fields[invoice]!, (sums.get(row.fields[invoice]!) ?? 0n) + units!);
  }
  return sums;
}

const FOCUS = fileRows('focus-messy.csv', 'x_Note');
const CUR = fileRows('aws-cur-messy.csv', 'line_item_line_item_description');
const CUR_NEVER_EFFECTIVE = ['SavingsPlanNegation', 'SavingsPlanUpfrontFee'];

const EXPECTED = {
  billed: new Map([...totals(FOCUS, 'InvoiceId', (r) => r.fields.BilledCost!), ...totals(CUR, 'bill_invoice_id', (r) => r.fields.line_item_unblended_cost!)]),
  effective: new Map([
    ...totals(FOCUS, 'InvoiceId', (r) => r.fields.EffectiveCost!),
    ...totals(CUR, 'bill_invoice_id', (r) => (CUR_NEVER_EFFECTIVE.includes(r.fields.line_item_line_item_type!) ? '0' : r.fields.line_item_unblended_cost!)),
  ]),
};

describe.each(TEST_ENGINES)('a messy real-world bill on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db, { transforms: { modelsDir: MODELS, targetDir: TARGET, operatorTenant: OPERATOR } });

  async function upload(name: string) {
    const token = await server.api.token(OPERATOR, 'operator');
    const reply = await server.api.app.inject({
      method: 'POST', url: `/v1/finops/bills?file_name=${name}`, payload: readFileSync(`${MESSY}${name}`),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    });
    expect(reply.statusCode, reply.body).toBe(200);
    return reply.json();
  }

  it('loads every readable row, parks the rest with file, line, column and reason, and keeps colliding tag keys', async () => {
    const focus = await upload('focus-messy.csv');
    const cur = await upload('aws-cur-messy.csv');
    expect(focus).toMatchObject({ format: 'focus', rows_read: FOCUS.length, rows_loaded: FOCUS.filter((r) => !r.parks).length });
    expect(cur).toMatchObject({ format: 'aws-cur', rows_read: CUR.length, rows_loaded: CUR.filter((r) => !r.parks).length });
    expect(focus.notes.join('\n')).toMatch(/4 row\(s\) with Tags that are not a JSON object \(line 7, 8, 9, 10\)/);

    const parked = await db.warehouse.query<{ file_name: string; line: number; column_name: string; reason_code: string }>(
      'SELECT file_name, line, column_name, reason_code FROM bill_rows_parked ORDER BY file_name, line',
    );
    expect(parked.map((p) => `${p.file_name}:${p.line}:${p.column_name}:${p.reason_code}`)).toEqual([
      'aws-cur-messy.csv:8:BilledCost:BILL_VALUE_MISSING',
      'aws-cur-messy.csv:10:ChargePeriodStart:BILL_VALUE_INVALID',
      'focus-messy.csv:11:BilledCost:BILL_VALUE_MISSING',
      'focus-messy.csv:12:BilledCost:BILL_VALUE_INVALID',
      `focus-messy.csv:13:${parked.find((p) => p.reason_code === 'BILL_ROW_MALFORMED')?.column_name}:BILL_ROW_MALFORMED`,
      'focus-messy.csv:14:ChargeCategory:BILL_VALUE_INVALID',
    ]);
    // Independently of the importer: the rows the file marks "parks:" are the ones parked, line for line.
    expect(parked.map((p) => `${p.file_name}:${p.line}`)).toEqual([
      ...CUR.filter((r) => r.parks).map((r) => `aws-cur-messy.csv:${r.line}`),
      ...FOCUS.filter((r) => r.parks).map((r) => `focus-messy.csv:${r.line}`),
    ]);

    const tags = async (batch: string, line: number) => {
      const [row] = await db.warehouse.query<{ tags: string; extra: string; billed_cost: string }>(
        'SELECT tags, extra, billed_cost FROM bill_rows WHERE batch_id = ? AND line = ?', [batch, line],
      );
      return { tags: JSON.parse(String(row!.tags)) as unknown, extra: JSON.parse(String(row!.extra)) as Record<string, unknown>, billed: String(row!.billed_cost) };
    };
    // The first key as written keeps the name; later ones that normalize alike are numbered, never dropped.
    expect((await tags(focus.batch_id, 2)).tags).toEqual({ tenant: 'acme', tenant__2: 'globex' });
    expect((await tags(focus.batch_id, 3)).tags).toEqual({ tenant: 'globex', tenant__2: 'acme', cost_center: '7' });
    expect((await tags(focus.batch_id, 6)).tags).toEqual({ tenant: 'acme', tenant__2: 'initech' });
    expect((await tags(focus.batch_id, 15)).tags).toEqual({ cost_center: 'cc-7', cost_center__2: 'cc-8', tenant: 'initech' });
    expect((await tags(focus.batch_id, 17)).tags).toEqual({ tenant: null, shared: 'control-plane' });
    expect((await tags(focus.batch_id, 18)).tags).toEqual({ tenant: null, _: 'blank key' });
    expect(await tags(focus.batch_id, 8)).toMatchObject({ tags: {}, extra: { Tags: '["tenant","acme"]' } });
    expect((await tags(cur.batch_id, 3)).tags).toEqual({ tenant: 'globex', tenant__2: 'acme' });
    expect((await tags(cur.batch_id, 9)).tags).toEqual({ tenant: 'acme', tenant__2: 'initech' });
    // Rounded half away from zero at the 10th decimal, as stored on both engines.
    expect((await tags(focus.batch_id, 2)).billed).toBe('10.1234567890');
    expect((await tags(focus.batch_id, 5)).billed).toBe('-3.3333333334');
    expect((await tags(focus.batch_id, 15)).billed).toBe('100.0000000000');
  });

  it('reconciles each invoice: direct + shared + unallocated equals the file\'s own total to the last stored digit', async () => {
    await upload('focus-messy.csv');
    await upload('aws-cur-messy.csv');
    await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: TARGET, select: ['+tag:finops'], tenant: OPERATOR, trigger: 'api' });
    const reply = await server.api.app.inject({ url: '/v1/finops/reconciliation', headers: { authorization: `Bearer ${await server.api.token(OPERATOR, 'operator')}` } });
    expect(reply.statusCode, reply.body).toBe(200);
    const invoices = reply.json().invoices as Record<string, string>[];
    expect(invoices.map((i) => i.invoice_id).sort()).toEqual([...EXPECTED.billed.keys()].sort());
    for (const invoice of invoices) {
      const id = invoice.invoice_id!;
      expect(invoice.billed_total, id).toBe(asText(EXPECTED.billed.get(id)!));
      expect(invoice.effective_total, id).toBe(asText(EXPECTED.effective.get(id)!));
      const billed = asUnits(invoice.direct_billed!) + asUnits(invoice.shared_billed!) + asUnits(invoice.unallocated_billed!);
      const effective = asUnits(invoice.direct_effective!) + asUnits(invoice.shared_effective!) + asUnits(invoice.unallocated_effective!);
      expect(asText(billed), id).toBe(asText(EXPECTED.billed.get(id)!));
      expect(asText(effective), id).toBe(asText(EXPECTED.effective.get(id)!));
      expect([invoice.billed_difference, invoice.effective_difference, invoice.balanced], id).toEqual(['0.0000000000', '0.0000000000', true]);
    }
    // Untagged and unreadable-tag rows, and the control-plane adjustment with no usage to split by, stay unallocated.
    const inv = Object.fromEntries(invoices.map((i) => [i.invoice_id, i]));
    expect(asUnits(inv['INV-A']!.unallocated_billed!)).toBe(['-3.33333333335', '7.77', '1.1', '1.2E-5', '2.5'].reduce((a, t) => a + storedUnits(t)!, 0n));
    expect(asUnits(inv['INV-B']!.unallocated_billed!)).toBe(['-0.000000000049', '0.3', '5'].reduce((a, t) => a + storedUnits(t)!, 0n));
    // The first of colliding tenant keys is the tenant, the same on both engines (September's correction counts in September).
    const attribution = await server.api.app.inject({
      url: '/v1/finops/attribution?period=2026-10', headers: { authorization: `Bearer ${await server.api.token(OPERATOR, 'operator')}` },
    });
    const direct = (attribution.json().lines as Record<string, string>[]).filter((l) => l.allocation === 'direct');
    expect(direct.map((l) => `${l.cost_tenant} ${l.currency} ${l.billed_cost}`).sort()).toEqual([
      'acme USD 10.1234567890', // FOCUS line 2 (CUR's acme usage and its savings-plan negation cancel out)
      'globex EUR -1.0000000001',
      'globex USD 0.0416000001', // FOCUS line 3 (globex written first) and CUR line 3
      'initech EUR 100.0000000000',
    ]);
  });

});

describe('the test\'s own decimal reading', () => {
  it('reads decimals as the stored digits say: half away from zero, exponents, signs', () => {
    expect(['1.00000000005', '-1.00000000005', '0.000000000049', '99.99999999995', '1.2E-5', '$1,200.005000000001', '-0.5'].map((t) => asText(storedUnits(t)!))).toEqual([
      '1.0000000001', '-1.0000000001', '0.0000000000', '100.0000000000', '0.0000120000', '1200.0050000000', '-0.5000000000',
    ]);
  });
});
