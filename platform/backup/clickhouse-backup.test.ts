import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import type { DuckDBStateStore} from '../../kernel/state/index.ts';
import { STATE_FILE, openStateStore } from '../../kernel/state/index.ts';
import type { ClickHouseWarehouse} from '../../kernel/warehouse/index.ts';
import { DuckDBWarehouse, openWarehouse } from '../../kernel/warehouse/index.ts';
import { scratchWarehouse, type ScratchWarehouse } from '../../dev/index.ts';
import { platformTables, migratePlatform } from '../../surfaces/compose/index.ts';
import { TempDirs } from '../../test/support/cli.ts';
import { domainErrorOf } from '../../test/support/domain-errors.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { LedgerStore } from '../governance/index.ts';
import { DirectoryTarget, backupFolder, backupNow, clickhouseBackupSource, restoreBackup } from './index.ts';

describe('backup and restore of ClickHouse with its state beside it (FREEZE, ATTACH PART)', () => {
  const db = useWarehouse('clickhouse');
  const keyring = Keyring.inMemory(LEDGER_KEY_NAME);
  const dirs = new TempDirs();
  const scratches: ScratchWarehouse[] = [];
  const closing: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const open of closing.splice(0).reverse()) await open.close();
    for (const scratch of scratches.splice(0)) await scratch.dispose();
    await dirs.removeAll();
  });

  /** A database on the same server that holds no tables yet, opened. */
  const emptyDatabase = async () => {
    const scratch = await scratchWarehouse('clickhouse', inject('clickhouseUrl'));
    scratches.push(scratch);
    const warehouse = (await openWarehouse(scratch.config)) as ClickHouseWarehouse;
    closing.push(warehouse);
    return warehouse;
  };

  /** Events of two tenants in ClickHouse (two inserts, so two parts) and receipts in both tenants' logs in the state. */
  const load = async () => {
    const warehouse = db.warehouse as ClickHouseWarehouse;
    const state = await openStateStore(warehouse, { dataDir: db.harness.dataDir, tables: platformTables() });
    closing.push(state);
    const ledger = new LedgerStore(state, keyring);
    closing.push(ledger);
    for (let batch = 0; batch < 2; batch++) {
      await warehouse.execute(`INSERT INTO events (tenant_id, source, id, type, time, policy_version, data, channel, ingested_at)
        SELECT if(number % 2 = 0, 'acme', 'globex'), '/test', concat('e-${batch}-', toString(number)), 'usage.recorded', now(), 'v1', '{"units":1}', 'http', now() FROM system.numbers LIMIT 500`);
    }
    await Promise.all(Array.from({ length: 30 }, (_, i) => ledger.append(i % 2 ? 'acme' : 'globex', { receiptId: `r-${i}`, text: `{"receipt":${i}}`, disclosures: [], keyId: keyring.active.keyId })));
    return { warehouse, state: state as DuckDBStateStore, ledger };
  };

  it('restores every table\'s rows into an empty database and the state into state.duckdb, ledgers checked, and leaves no frozen copy on the server', async () => {
    const { warehouse, state } = await load();
    const target = new DirectoryTarget(await dirs.make());
    const manifest = await backupNow(clickhouseBackupSource(warehouse, state), { target, key: keyring.active });
    expect(manifest.engine).toBe('clickhouse');
    const events = manifest.clickhouse!.tables.find((t) => t.name === 'events')!;
    expect(events).toMatchObject({ engine: expect.stringMatching(/MergeTree$/), rows: 1000 });
    expect(events.parts.length).toBeGreaterThanOrEqual(1);
    expect(manifest.ledger.acme!.size).toBe(15);
    // FREEZE's hard links are gone once the parts are on the target.
    expect(await readdir(join(inject('clickhouseDataPath')!, 'shadow')).catch(() => [])).toEqual(expect.not.arrayContaining([expect.stringMatching(/^companyos_/)]));

    const into = await emptyDatabase();
    const dataDir = join(await dirs.make(), 'restored');
    const report = await restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir, clickhouse: into });
    expect(report.tenantsVerified).toBe(2);
    expect(await readdir(dataDir)).toEqual([STATE_FILE]);
    for (const table of manifest.clickhouse!.tables.filter((t) => t.engine !== 'View')) {
      const [count] = await into.query<{ n: number }>(`SELECT count() AS n FROM ${table.name}`);
      expect(Number(count!.n), table.name).toBe(table.rows);
    }
    const [acme] = await into.query<{ n: number }>("SELECT count() AS n FROM events WHERE tenant_id = 'acme'");
    expect(Number(acme!.n)).toBe(500);
    const restoredState = await DuckDBWarehouse.open(join(dataDir, STATE_FILE));
    try {
      const [entries] = await restoredState.query<{ n: number }>('SELECT count(*) AS n FROM ledger_entries');
      expect(Number(entries!.n)).toBe(30);
    } finally {
      await restoredState.close();
    }
  });

  it('refuses a part file changed by one byte, naming it, and creates no table; refuses a database that already holds tables', async () => {
    const { warehouse, state } = await load();
    const targetDir = await dirs.make();
    const target = new DirectoryTarget(targetDir);
    const manifest = await backupNow(clickhouseBackupSource(warehouse, state), { target, key: keyring.active });
    const victim = manifest.objects.find((o) => o.name.startsWith('clickhouse/events/') && o.name.endsWith('.bin'))!;
    const path = join(targetDir, backupFolder(manifest.backupId), victim.name);
    const bytes = await readFile(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(path, bytes);
    const into = await emptyDatabase();
    const dataDir = join(await dirs.make(), 'restored');
    const [code, message] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir, clickhouse: into }));
    expect(code).toBe('BACKUP_OBJECT_CORRUPT');
    expect(message).toContain(victim.name);
    expect(await into.query('SELECT name FROM system.tables WHERE database = currentDatabase()')).toEqual([]);
    expect(await readdir(dataDir)).toEqual([]);

    await migratePlatform(into);
    const [taken] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir: join(await dirs.make(), 'again'), clickhouse: into }));
    expect(taken).toBe('RESTORE_TARGET_NOT_EMPTY');
  });
});
