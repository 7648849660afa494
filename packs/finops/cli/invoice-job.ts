import type { PackJob } from '../../../surfaces/cli/kit/index.ts';

/** The month before the one `now` falls in, as YYYY-MM (UTC). */
export function previousMonth(now: Date): string {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return start.toISOString().slice(0, 7);
}

/**
 * Invoices last month on a schedule, as `companyos invoices generate --period <last month>` would:
 * through the policy gate with a receipt, a new revision only for an invoice whose content changed,
 * delivered to the configured webhook.
 */
export const invoicesJob: PackJob = {
  name: 'finops.invoices',
  description: 'Invoice every tenant for the previous month (a new revision only where the charges changed), gated and receipted.',
  async run({ client, now }) {
    const period = previousMonth(now);
    const run = await client.generateInvoices(period);
    const revised = run.invoices.filter((invoice) => invoice.new_revision).length;
    return `invoices for ${period}: ${run.invoices.length} tenants, ${revised} new revisions, ${run.delivered} delivered, ${run.failed} failed`;
  },
};
