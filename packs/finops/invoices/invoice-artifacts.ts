import { createHash } from 'node:crypto';
import { toCsv } from '../../../platform/ingest/index.ts';

export interface InvoiceLine {
  sku_kind: 'base' | 'pack';
  sku: string;
  description: string;
  amount: string;
}

/** A tenant's invoice for a month: what it pays per SKU, as priced by models/finops/pricing.yaml. */
export interface Invoice {
  invoice_id: string;
  /** The tenant that issues it (the bill owner, usually the platform operator). */
  issuer: string;
  tenant: string;
  period: string;
  currency: string;
  lines: InvoiceLine[];
  total: string;
}

/**
 * The same issuer, month and tenant always get the same id; a re-generation is a new revision of it. The
 * issuer is part of the id (after `@`, which no tenant id contains), so two issuers never share one.
 */
export function invoiceId(period: string, tenant: string, issuer: string): string {
  return `INV-${period.replace('-', '')}-${tenant}@${issuer}`;
}

export function describeSku(kind: string, sku: string): string {
  if (kind === 'pack') return `Add-on pack ${sku}`;
  const [plan, tier] = sku.split('/');
  return `Plan ${plan}, SLA tier ${tier}`;
}

export const INVOICE_CSV_COLUMNS = ['invoice_id', 'tenant', 'period', 'currency', 'sku_kind', 'sku', 'description', 'amount'] as const;

/** The invoice as CSV: one row per line, then a `total` row. */
export function invoiceCsv(invoice: Invoice): string {
  const row = (line: { sku_kind: string; sku: string; description: string; amount: string }) => ({
    invoice_id: invoice.invoice_id, tenant: invoice.tenant, period: invoice.period, currency: invoice.currency, ...line,
  });
  return toCsv([...invoice.lines.map(row), row({ sku_kind: 'total', sku: '', description: 'Total', amount: invoice.total })], INVOICE_CSV_COLUMNS);
}

/** The JSON artifact: stable key order, so the same invoice always has the same SHA-256. */
export function invoiceJson(invoice: Invoice): string {
  return JSON.stringify(invoice);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
