import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { invoiceCsv, type Invoice } from './invoice-artifacts.ts';

describe('the invoice CSV', () => {
  it('neutralizes a formula a tenant put in its plan name, and keeps amounts (a negative one too) numbers', () => {
    const invoice: Invoice = {
      invoice_id: 'INV-202610-acme', issuer: 'summit-internal', tenant: 'acme', period: '2026-10', currency: 'USD',
      lines: [
        { sku_kind: 'base', sku: '=HYPERLINK("http://evil.example","pay")/gold', description: 'Plan =HYPERLINK(…), SLA tier gold', amount: '120.0000000000' },
        { sku_kind: 'pack', sku: '@finops', description: 'Add-on pack @finops', amount: '-20.5000000000' },
      ],
      total: '99.5000000000',
    };
    const csv = invoiceCsv(invoice);
    expect(csv.split('\r\n')[1]).toBe(`INV-202610-acme,acme,2026-10,USD,base,"'=HYPERLINK(""http://evil.example"",""pay"")/gold","Plan =HYPERLINK(…), SLA tier gold",120.0000000000`);
    expect(parse(csv, { columns: true })).toEqual([
      expect.objectContaining({ sku: `'=HYPERLINK("http://evil.example","pay")/gold`, amount: '120.0000000000' }),
      expect.objectContaining({ sku: "'@finops", amount: '-20.5000000000' }),
      expect.objectContaining({ sku_kind: 'total', sku: '', amount: '99.5000000000' }),
    ]);
  });
});
