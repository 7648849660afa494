import { join } from 'node:path';
import type { Command } from 'commander';
import { Keyring, LEDGER_KEY_NAME } from '../../../kernel/ledger/index.ts';
import { openWarehouse, type ClickHouseWarehouse } from '../../../kernel/warehouse/index.ts';
import { openStateStore, type StateStore } from '../../../kernel/state/index.ts';
import { MODEL_GENERATORS } from '../../../packs/index.ts';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';
import { rebuildModels } from '../../../platform/transforms/index.ts';
import { backupNow, backupSourceOf, openBackupTarget, restoreBackup } from '../../../platform/backup/index.ts';
import { findRunningPlatform, loadConfig, readVerifierKeys, warehouseConfig } from '../kit/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { migratePlatform, platformTables } from '../../compose/index.ts';

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description(
      'Back up the platform to a directory or object store: the embedded DuckDB database (warehouse and operational state) as one consistent snapshot, ' +
        'or on ClickHouse every table FREEZEd (run it on the ClickHouse host: it reads the server\'s files) with the operational state beside it; ' +
        'each object checksummed, and a manifest (row counts, every tenant\'s ledger root) signed with the ledger\'s key. ' +
        'Runs on the data folder while the platform is stopped.',
    )
    .requiredOption('--to <target>', 'the backup target: a directory (a mounted volume) or s3://bucket[/prefix] (COMPANYOS_S3_ENDPOINT for a server other than AWS); backups go under <target>/backups/<id>/')
    .action(async (options: { to: string }) => {
      const config = loadConfig();
      const running = await findRunningPlatform(config.dataDir);
      if (running) throw new Error(`The platform at ${running} holds ${config.dataDir}: stop it first (backups taken by the running platform come with the next part of this work).`);
      const warehouse = await openWarehouse(warehouseConfig(config));
      let state: StateStore | undefined;
      try {
        await migratePlatform(warehouse);
        state = await openStateStore(warehouse, { tables: platformTables(), dataDir: config.dataDir });
        const source = backupSourceOf(warehouse, state);
        if (!source) throw new Error(`Backups of a ${warehouse.engine} warehouse are not available.`);
        const keyring = await Keyring.open(join(config.dataDir, 'keys'), LEDGER_KEY_NAME);
        const manifest = await backupNow(source, { target: openBackupTarget(options.to, config.s3), key: keyring.active, progress: (line) => console.log(line) });
        console.log(`verify and restore with: companyos restore --from ${options.to} --backup ${manifest.backupId} --key ${join(config.dataDir, 'keys', `${keyring.active.keyId}.pub`)} --data-dir <empty dir>`);
      } finally {
        await state?.close();
        await warehouse.close();
      }
    });

  program
    .command('restore')
    .description(
      'Restore a backup into an empty data folder: verifies the manifest\'s signature and every object\'s size and SHA-256 before use ' +
        '(naming the first that differs), loads the snapshot, then checks row counts and each tenant\'s ledger root against the manifest, and prints the RTO.',
    )
    .requiredOption('--from <target>', 'the backup target the backup was written to: a directory or s3://bucket[/prefix]')
    .requiredOption('--data-dir <dir>', 'an empty (or absent) folder; it becomes a data folder holding warehouse.duckdb (on ClickHouse: state.duckdb, the tables going to COMPANYOS_CLICKHOUSE_DATABASE, which must hold none)')
    .requiredOption('--key <pubkey...>', 'a verifier key the manifest must be signed with (as in $COMPANYOS_DATA_DIR/keys/<keyid>.pub), or a file of them; repeatable')
    .option('--backup <id>', 'the backup to restore (default: the latest complete one; with --to-time, the latest taken by then)')
    .option('--no-models', 'skip rebuilding the models (they stay as of the base snapshot until the next build; the restore is faster)')
    .option('--to-time <time>', 'replay the shipped changes acknowledged up to this time only (ISO 8601, e.g. 2026-12-03T09:15:00Z); default: all of them')
    .action(async (options: { from: string; dataDir: string; key: string[]; backup?: string; toTime?: string; models: boolean }) => {
      const config = loadConfig();
      // A ClickHouse backup is restored into the configured server and database (which must hold no tables), the state into the data folder.
      const clickhouse = config.engine === 'clickhouse' ? await openWarehouse(warehouseConfig(config)) : undefined;
      try {
        await restoreBackup({
          rebuild: options.models ? (warehouse) => rebuildModels(warehouse, { modelsDir: 'models', generators: MODEL_GENERATORS, tenant: TENANT_ZERO, dataDir: options.dataDir }) : undefined,
          target: openBackupTarget(options.from, config.s3),
          keys: await readVerifierKeys(options.key),
          dataDir: options.dataDir,
          clickhouse: clickhouse as ClickHouseWarehouse | undefined,
          backupId: options.backup,
          toTime: options.toTime === undefined ? undefined : parseTime(options.toTime),
          tables: platformTables(),
          progress: (line) => console.log(line),
        });
      } finally {
        await clickhouse?.close();
      }
    });
}

/** A point in time as ISO 8601 with its zone (`Z` or an offset): a bare local time would mean different moments on different machines. */
function parseTime(text: string): Date {
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? new Date(text) : undefined;
  if (!time || Number.isNaN(time.getTime())) throw new DomainError('RESTORE_TIME_UNAVAILABLE', `--to-time ${JSON.stringify(text)} is not an ISO 8601 time with a zone, such as 2026-12-03T09:15:00Z.`);
  return time;
}
