import type { Command } from 'commander';
import { loadConfig } from '../../../surfaces/cli/kit/index.ts';
import { connectPlatform } from '../../../surfaces/cli/kit/index.ts';

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

export function registerInvoices(program: Command): void {
  const invoices = program.command('invoices').description('Per-tenant invoices from the SKU charges of a month (models/finops/pricing.yaml).');
  invoices
    .command('generate')
    .description(
      "Generate each tenant's invoice for a month (JSON and CSV artifacts, stored as a new revision when they changed) and deliver it to " +
        'COMPANYOS_INVOICE_WEBHOOK_URL, HMAC-signed, retried with backoff; every attempt is recorded. Exits 2 when a delivery failed.',
    )
    .requiredOption('--period <YYYY-MM>', 'the month to invoice')
    .addHelpText('after', '\nRead them back with GET /v1/finops/invoices, /v1/finops/invoices/:id (Accept: text/csv for CSV) and …/:id/deliveries.')
    .action(async (options: { period: string }) => {
      if (!PERIOD.test(options.period)) throw new Error(`--period must be YYYY-MM; got "${options.period}".`);
      const client = await connectPlatform(loadConfig());
      try {
        const run = await client.generateInvoices(options.period);
        for (const invoice of run.invoices) {
          const delivery = 'skipped' in invoice.delivery && invoice.delivery.skipped
            ? `not sent: ${invoice.delivery.skipped}`
            : 'outcome' in invoice.delivery
              ? `${invoice.delivery.outcome} after ${invoice.delivery.attempts} attempt${invoice.delivery.attempts === 1 ? '' : 's'}${invoice.delivery.error ? ` (${invoice.delivery.error})` : ''}`
              : '';
          console.log(`${invoice.invoice_id}  ${invoice.total} ${invoice.currency}  ${invoice.new_revision ? 'new revision' : 'unchanged'}  ${delivery}`);
        }
        console.log(
          `${run.invoices.length} invoices for ${run.period}; ${run.webhook ? `${run.delivered} delivered, ${run.failed} failed to ${run.webhook}` : 'no webhook configured'} via ${client.description}`,
        );
        if (run.failed) process.exitCode = 2;
      } finally {
        await client.close();
      }
    });
}
