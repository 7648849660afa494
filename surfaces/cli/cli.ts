import { Command } from 'commander';
import { PACKS } from '../../packs/index.ts';
import { errorCatalogue } from '../http/index.ts';
import { registerBackup } from './commands/backup.ts';
import { registerBuild } from './commands/build.ts';
import { registerLedger } from './commands/ledger.ts';
import { registerPolicy } from './commands/policy.ts';
import { registerReports } from './commands/reports.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerKafka } from './commands/kafka.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerOpenApi } from './commands/openapi.ts';
import { registerReadCommands } from './commands/read.ts';
import { registerStart } from './commands/start.ts';
import { registerToken } from './commands/token.ts';
import { registerWorkflow } from './commands/workflow.ts';
import { ENVIRONMENT } from './kit/index.ts';
import { explain } from './explain-error.ts';

const program = new Command('companyos')
  .description('CompanyOS: metering events and cloud bills into a warehouse, served by a policy-gated API.')
  .showHelpAfterError('(add --help for usage)')
  .addHelpText(
    'after',
    `\nEnvironment:\n${ENVIRONMENT.map(([name, fallback, what]) => `  ${name.padEnd(26)} ${what} (default ${fallback})`).join('\n')}`,
  );

registerStart(program);
registerMigrate(program);
registerToken(program);
registerIngest(program);
registerReadCommands(program);
registerKafka(program);
registerBuild(program);
for (const pack of PACKS) pack.commands?.(program);
registerWorkflow(program);
registerPolicy(program);
registerLedger(program);
registerBackup(program);
registerReports(program);
registerOpenApi(program);
program
  .command('errors')
  .description('List the API error and rejection codes with their meaning.')
  .action(() => {
    for (const { code, status, message } of errorCatalogue()) console.log(`${code.padEnd(30)} ${String(status ?? 'event').padEnd(6)} ${message}`);
  });

try {
  await program.parseAsync();
} catch (error) {
  console.error(`companyos: ${explain(error)}`);
  if (process.env.COMPANYOS_DEBUG) console.error(error);
  process.exitCode = 1;
}
