import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { BILL_FORMATS, type BillFormat } from '../index.ts';
import { loadConfig } from '../../../surfaces/cli/kit/index.ts';
import { connectPlatform } from '../../../surfaces/cli/kit/index.ts';

const SHOWN_PARKED = 20;

export function registerBills(program: Command): void {
  const bills = program.command('bills').description('Cloud bills: import FOCUS, AWS CUR 2.0, GCP and Azure exports.');
  bills
    .command('import')
    .description(
      'Import bill files (CSV or Parquet) as batches of bill_rows, mapped onto FOCUS. Each file is recorded with its SHA-256 and row ' +
        'counts; importing the same file again writes nothing. Rows that cannot be read are parked with their line and column.',
    )
    .argument('<files...>', 'bill files')
    .addOption(new Option('--format <format>', 'the files\' format (detected from the header when not given)').choices([...BILL_FORMATS]))
    .addHelpText('after', '\nGoes through the running platform when `companyos start` is up. The mapping of each format is in packs/finops/bills/README.md.')
    .action(async (files: string[], options: { format?: BillFormat }) => {
      const client = await connectPlatform(loadConfig());
      try {
        for (const file of files) {
          const report = await client.importBill(file, { format: options.format, fileName: basename(file) });
          if (report.already_imported) {
            console.log(`${file}: already imported as batch ${report.batch_id} (${report.rows_loaded} rows); nothing written.`);
            continue;
          }
          for (const note of report.notes) console.log(`${file}: note: ${note}`);
          for (const parked of report.parked.slice(0, SHOWN_PARKED)) {
            console.error(`${file}:${parked.line}: ${parked.column}: ${parked.code}: ${parked.reason}`);
          }
          if (report.rows_parked > SHOWN_PARKED) console.error(`… and ${report.rows_parked - SHOWN_PARKED} more parked rows (bill_rows_parked).`);
          console.log(
            `${file}: ${report.format}, ${report.rows_read} rows → loaded ${report.rows_loaded}, parked ${report.rows_parked} ` +
              `in ${report.seconds.toFixed(1)}s (batch ${report.batch_id}, sha256 ${report.checksum.slice(0, 12)}…) via ${client.description}`,
          );
          if (report.rows_parked) process.exitCode = 2;
        }
      } finally {
        await client.close();
      }
    });
}
