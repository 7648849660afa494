import type { StateStore } from '../../../kernel/state/index.ts';
import type { Row, Warehouse } from '../../../kernel/warehouse/index.ts';
import { fromUnits, toUnits } from '../../../kernel/warehouse/index.ts';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { assertBuilt, periodRange } from '../queries/finops.ts';
import { describeSku, invoiceCsv, invoiceId, invoiceJson, sha256, type Invoice } from './invoice-artifacts.ts';
import { deliverWebhook, type DeliveryAttempt, type DeliveryResult, type WebhookConfig } from './webhook-delivery.ts';

/** Invoices delivered at once. */
const DELIVERY_CONCURRENCY = 4;

export interface GeneratedInvoice {
  invoice_id: string;
  tenant: string;
  currency: string;
  total: string;
  sha256: string;
  /** False when the latest revision already had this content: nothing new was written. */
  new_revision: boolean;
  delivery: (DeliveryResult & { skipped?: undefined }) | { skipped: string };
}

/**
 * Builds each tenant's invoice for `period` from finops_tenant_charges (what
 * pricing.yaml charges per SKU), stores the JSON and CSV artifacts as a new
 * revision when their content changed, and delivers each to the webhook,
 * signed, with retries; every attempt is recorded in invoice_deliveries. An
 * invoice whose exact content was already delivered is not sent again.
 * The platform operator (`platformTenant`) invoices every tenant its bills are
 * attributed to; any other issuer's bills invoice only itself, so a bill a
 * tenant imports never produces an invoice (or a plan, SLA tier or usage
 * share) of another tenant.
 */
/** The month's SKU charges `issuer` may invoice (all its customers' for the platform operator, its own otherwise). */
function chargesQuery(issuer: string, period: string, platformTenant: string, columns: string): [string, (string | Date)[]] {
  const [from, to] = periodRange(period);
  const ownOnly = issuer === platformTenant ? '' : ' AND cost_tenant = ?';
  return [
    `SELECT ${columns} FROM finops_tenant_charges WHERE tenant_id = ? AND cost_month >= ? AND cost_month < ?${ownOnly}`,
    ownOnly ? [issuer, from, to, issuer] : [issuer, from, to],
  ];
}

/** Refuses an invoice run that would do nothing: attribution not built (FINOPS_NOT_BUILT) or no charges in the month (NOTHING_TO_INVOICE). */
export async function assertInvoiceable(warehouse: Warehouse, issuer: string, period: string, platformTenant = TENANT_ZERO): Promise<void> {
  await assertBuilt(warehouse, 'finops_tenant_charges');
  const [sql, params] = chargesQuery(issuer, period, platformTenant, 'count(*) AS charges');
  const [row] = await warehouse.query(sql, params);
  if (Number(row?.charges ?? 0) === 0) throw new DomainError('NOTHING_TO_INVOICE', `No charges in ${period}.`);
}

export async function generateInvoices(warehouse: Warehouse, state: StateStore, issuer: string, period: string, webhook: WebhookConfig | undefined, platformTenant = TENANT_ZERO) {
  await assertBuilt(warehouse, 'finops_tenant_charges');
  const [from] = periodRange(period);
  const [sql, params] = chargesQuery(issuer, period, platformTenant, 'cost_tenant, currency, sku_kind, sku, revenue');
  const rows = await warehouse.query(`${sql} ORDER BY cost_tenant, sku_kind, sku`, params);
  const invoices = new Map<string, Invoice>();
  for (const r of rows) {
    const tenant = String(r.cost_tenant);
    const invoice = invoices.get(tenant) ?? {
      invoice_id: invoiceId(period, tenant, issuer), issuer, tenant, period, currency: String(r.currency), lines: [], total: '0',
    };
    invoice.lines.push({ sku_kind: r.sku_kind === 'pack' ? 'pack' : 'base', sku: String(r.sku), description: describeSku(String(r.sku_kind), String(r.sku)), amount: fromUnits(toUnits(r.revenue)) });
    invoice.total = fromUnits(toUnits(invoice.total) + toUnits(r.revenue));
    invoices.set(tenant, invoice);
  }
  const generatedAt = new Date();
  const stored = await Promise.all([...invoices.values()].map(async (invoice) => ({ invoice, ...(await storeRevision(state, invoice, from, generatedAt)) })));

  const results: GeneratedInvoice[] = new Array(stored.length);
  let next = 0;
  const worker = async () => {
    while (next < stored.length) {
      const index = next++;
      const { invoice, hash, csv, json, isNew } = stored[index]!;
      results[index] = {
        invoice_id: invoice.invoice_id, tenant: invoice.tenant, currency: invoice.currency, total: invoice.total, sha256: hash, new_revision: isNew,
        delivery: await deliver(state, webhook, invoice, hash, json, csv),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, stored.length) }, worker));
  return {
    period,
    webhook: webhook?.url ?? null,
    invoices: results,
    delivered: results.filter((r) => 'outcome' in r.delivery && r.delivery.outcome === 'delivered').length,
    failed: results.filter((r) => 'outcome' in r.delivery && r.delivery.outcome === 'failed').length,
  };
}

/** Stores the invoice as its next revision unless the latest already has this content; one transaction, so two runs make one revision. */
async function storeRevision(state: StateStore, invoice: Invoice, periodStart: Date, generatedAt: Date) {
  const json = invoiceJson(invoice);
  const csv = invoiceCsv(invoice);
  const hash = sha256(json);
  const isNew = await state.transaction(async (tx) => {
    const [latest] = await tx.query<{ sha256: string }>(
      'SELECT sha256 FROM invoices WHERE tenant_id = ? AND invoice_id = ? ORDER BY revision DESC LIMIT 1',
      [invoice.issuer, invoice.invoice_id],
    );
    if (latest?.sha256 === hash) return false;
    await tx.insert('invoices', [{
      tenant_id: invoice.issuer, invoice_id: invoice.invoice_id, customer_tenant: invoice.tenant, period_start: periodStart, currency: invoice.currency,
      total: invoice.total, sha256: hash, artifact_json: json, artifact_csv: csv, revision: generatedAt.getTime(), generated_at: generatedAt,
    }]);
    return true;
  });
  return { hash, json, csv, isNew };
}

async function deliver(state: StateStore, webhook: WebhookConfig | undefined, invoice: Invoice, hash: string, json: string, csv: string): Promise<GeneratedInvoice['delivery']> {
  if (!webhook) return { skipped: 'no webhook is configured (COMPANYOS_INVOICE_WEBHOOK_URL)' };
  const done = await state.query(
    "SELECT delivery_id FROM invoice_deliveries WHERE tenant_id = ? AND invoice_id = ? AND invoice_sha256 = ? AND outcome = 'delivered' LIMIT 1",
    [invoice.issuer, invoice.invoice_id, hash],
  );
  if (done[0]) return { skipped: `this revision was already delivered (delivery ${String(done[0].delivery_id)})` };
  const body = `{"type":"invoice.generated","sha256":"${hash}","invoice":${json},"csv":${JSON.stringify(csv)}}`;
  const record = (a: DeliveryAttempt) =>
    state.transaction((tx) => tx.insert('invoice_deliveries', [{
      tenant_id: invoice.issuer, delivery_id: a.delivery_id, invoice_id: invoice.invoice_id, invoice_sha256: hash, url: webhook.url, attempt: a.attempt,
      attempted_at: a.attempted_at, status_code: a.status_code, outcome: a.outcome, error: a.error, duration_ms: a.duration_ms,
    }]));
  return deliverWebhook(webhook, body, { 'x-companyos-event': 'invoice.generated' }, record);
}

const latestRevisions = `SELECT * FROM invoices
  JOIN (SELECT tenant_id, invoice_id, max(revision) AS latest FROM invoices GROUP BY tenant_id, invoice_id) newest USING (tenant_id, invoice_id)
  WHERE revision = latest`;

const summary = (r: Row) => ({
  invoice_id: String(r.invoice_id),
  issuer: String(r.tenant_id),
  tenant: String(r.customer_tenant),
  period: (r.period_start as Date).toISOString().slice(0, 7),
  currency: String(r.currency),
  total: fromUnits(toUnits(r.total)),
  sha256: String(r.sha256),
  generated_at: (r.generated_at as Date).toISOString(),
});

/**
 * Which invoices a tenant sees: those it issued, and those the platform operator issued to it. An invoice
 * another tenant issued naming it is that issuer's business only.
 */
const visibleTo = '(tenant_id = ? OR (customer_tenant = ? AND tenant_id = ?))';

/** The latest revision of each invoice the caller issued, or (for a customer tenant) received from the platform operator; with whether it was delivered. */
export async function listInvoices(state: StateStore, tenant: string, period?: string, platformTenant = TENANT_ZERO) {
  const params: (string | Date)[] = [tenant, tenant, platformTenant];
  let where = visibleTo;
  if (period) {
    const [from, to] = periodRange(period);
    where += ' AND period_start >= ? AND period_start < ?';
    params.push(from, to);
  }
  const rows = await state.query(`SELECT * FROM (${latestRevisions}) latest_invoices WHERE ${where} ORDER BY period_start, invoice_id`, params);
  const ids = rows.map((r) => String(r.invoice_id));
  const delivered = new Set(
    ids.length
      ? (await state.query<{ tenant_id: string; invoice_id: string; invoice_sha256: string }>(
          `SELECT DISTINCT tenant_id, invoice_id, invoice_sha256 FROM invoice_deliveries
           WHERE tenant_id IN (?, ?) AND invoice_id IN (${ids.map(() => '?').join(', ')}) AND outcome = 'delivered'`,
          [tenant, platformTenant, ...ids],
        )).map((r) => `${r.tenant_id}|${r.invoice_id}|${r.invoice_sha256}`)
      : [],
  );
  return { invoices: rows.map((r) => ({ ...summary(r), delivered: delivered.has(`${String(r.tenant_id)}|${String(r.invoice_id)}|${String(r.sha256)}`) })) };
}

/** One invoice's latest revision with its artifacts, to its issuer or (from the platform operator) its customer; another's answers as a missing one does. */
export async function readInvoice(state: StateStore, tenant: string, id: string, platformTenant = TENANT_ZERO) {
  const rows = await state.query(
    `SELECT * FROM invoices WHERE invoice_id = ? AND ${visibleTo} ORDER BY revision DESC LIMIT 1`,
    [id, tenant, tenant, platformTenant],
  );
  if (!rows[0]) throw new DomainError('INVOICE_NOT_FOUND', `No invoice "${id}" for tenant "${tenant}".`);
  return { ...summary(rows[0]), json: JSON.parse(String(rows[0].artifact_json)) as Invoice, csv: String(rows[0].artifact_csv) };
}

/** Every delivery attempt of an invoice, oldest first (issuer only: the webhook is the issuer's). */
export async function readDeliveries(state: StateStore, issuer: string, id: string) {
  const rows = await state.query(
    'SELECT * FROM invoice_deliveries WHERE tenant_id = ? AND invoice_id = ? ORDER BY attempted_at, delivery_id, attempt',
    [issuer, id],
  );
  return {
    invoice_id: id,
    attempts: rows.map((r) => ({
      delivery_id: String(r.delivery_id), sha256: String(r.invoice_sha256), url: String(r.url), attempt: Number(r.attempt),
      attempted_at: (r.attempted_at as Date).toISOString(), status_code: r.status_code === null ? null : Number(r.status_code),
      outcome: String(r.outcome), error: r.error === null ? null : String(r.error), duration_ms: Number(r.duration_ms),
    })),
  };
}
