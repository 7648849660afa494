import { readFile, readdir, rm, truncate, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import { openStateStore, type StateStore } from '../../kernel/state/index.ts';
import { DuckDBWarehouse } from '../../kernel/warehouse/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { TempDirs } from '../../test/support/cli.ts';
import { domainErrorOf } from '../../test/support/domain-errors.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { LedgerStore } from '../governance/index.ts';
import { signManifest, type BackupManifest } from './backup-manifest.ts';
import { DirectoryTarget, MANIFEST_OBJECT, RESTORED_DATABASE, backupFolder, restoreBackup, takeBackup } from './index.ts';

describe('backup and restore of the embedded database (DuckDB)', () => {
  const db = useWarehouse('duckdb');
  const keyring = Keyring.inMemory(LEDGER_KEY_NAME);
  const dirs = new TempDirs();
  const folder = (name: string) => dirs.make(`companyos-${name}-`);
  let state: StateStore | undefined;
  let ledger: LedgerStore | undefined;
  afterEach(async () => {
    await ledger?.close();
    await state?.close();
    ledger = state = undefined;
    await dirs.removeAll();
  });

  /** Two tenants' ledgers with receipts, appended while `during` runs. */
  const withLedgers = async <T>(during: () => Promise<T>): Promise<T> => {
    state = await openStateStore(db.warehouse, { dataDir: db.harness.dataDir, tables: platformTables() });
    ledger = new LedgerStore(state, keyring);
    const append = (tenant: string, i: number) => ledger!.append(tenant, { receiptId: `${tenant}-${i}`, text: `{"receipt":"${tenant}-${i}"}`, disclosures: [], keyId: keyring.active.keyId });
    await Promise.all(Array.from({ length: 40 }, (_, i) => append(i % 2 ? 'acme' : 'globex', i)));
    // Appends go on while the snapshot is read: the backup holds a prefix of each log, whole.
    let writing = true;
    const writer = (async () => {
      for (let i = 40; writing; i++) await append(i % 2 ? 'acme' : 'globex', i);
    })();
    try {
      return await during();
    } finally {
      writing = false;
      await writer;
    }
  };

  it('restores a snapshot taken while receipts are appended: every row, and each tenant\'s log a verified prefix of the live one', async () => {
    const target = new DirectoryTarget(await folder('target'));
    const lines: string[] = [];
    const manifest = await withLedgers(() => takeBackup(db.warehouse as DuckDBWarehouse, { target, key: keyring.active, progress: (line) => lines.push(line) }));
    expect(lines.at(-1)).toContain(`backup ${manifest.backupId} complete`);
    expect(manifest.ledger.acme!.size).toBeGreaterThanOrEqual(20);
    expect(manifest.ledger.globex!.size).toBeGreaterThanOrEqual(20);
    expect(manifest.rowCounts.ledger_entries).toBe(manifest.ledger.acme!.size + manifest.ledger.globex!.size);

    const dataDir = join(await folder('restore'), 'data');
    const report = await restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir });
    expect(report).toMatchObject({ backupId: manifest.backupId, tenantsVerified: 2, rows: Object.values(manifest.rowCounts).reduce((a, b) => a + b, 0) });
    expect(await readdir(dataDir)).toEqual([RESTORED_DATABASE]);

    // Checked apart from the restore's own validation: the live log, at the backup's size, has the restored root.
    for (const tenant of ['acme', 'globex']) {
      const live = await ledger!.checkpoint(tenant, manifest.ledger[tenant]!.size);
      expect(live.rootHash.toString('hex')).toBe(manifest.ledger[tenant]!.rootHash);
    }
    const restored = await DuckDBWarehouse.open(join(dataDir, RESTORED_DATABASE));
    try {
      const rows = await restored.query<{ receipt_id: string }>("SELECT receipt_id FROM ledger_entries WHERE tenant_id = 'acme' ORDER BY log_index LIMIT 2");
      expect(rows.map((r) => r.receipt_id)).toEqual(['acme-1', 'acme-3']);
      // The unique keys came back with the schema: a taken log index is refused as before.
      await expect(restored.execute("INSERT INTO ledger_entries (tenant_id, log_index, receipt_id, entry, leaf_hash, disclosures, key_id, appended_at) SELECT tenant_id, log_index, 'again', entry, leaf_hash, disclosures, key_id, appended_at FROM ledger_entries LIMIT 1")).rejects.toThrow(/constraint|duplicate/i);
    } finally {
      await restored.close();
    }
  });

  it('refuses an object changed by one byte, or cut short, naming it, and leaves no database behind', async () => {
    const targetDir = await folder('target');
    const target = new DirectoryTarget(targetDir);
    const manifest = await withLedgers(() => takeBackup(db.warehouse as DuckDBWarehouse, { target, key: keyring.active }));
    const name = `${backupFolder(manifest.backupId)}/ledger_entries.parquet`;
    const path = join(targetDir, name);
    const original = await readFile(path);
    const flipped = Buffer.from(original);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    await writeFile(path, flipped);
    const dataDir = join(await folder('restore'), 'data');
    const [code, message] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir }));
    expect(code).toBe('BACKUP_OBJECT_CORRUPT');
    expect(message).toContain(name);
    expect(message).toContain('SHA-256');
    expect(await readdir(dataDir)).toEqual([]);

    await writeFile(path, original);
    await truncate(path, original.length - 10);
    const [truncatedCode, truncatedMessage] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir }));
    expect(truncatedCode).toBe('BACKUP_OBJECT_CORRUPT');
    expect(truncatedMessage).toContain(`${name} holds ${original.length - 10} bytes`);

    await rm(path);
    expect((await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir })))[0]).toBe('BACKUP_OBJECT_MISSING');
  });

  it('restores the latest complete backup when a later one was interrupted, and refuses a manifest it cannot verify or that names paths or tables it must not', async () => {
    const targetDir = await folder('target');
    const target = new DirectoryTarget(targetDir);
    const manifest = await withLedgers(() => takeBackup(db.warehouse as DuckDBWarehouse, { target, key: keyring.active }));
    // A later backup killed before its manifest: objects, no manifest.
    await mkdir(join(targetDir, 'backups/99991231T235959Z-ffffff'), { recursive: true });
    await writeFile(join(targetDir, 'backups/99991231T235959Z-ffffff/schema.sql'), 'CREATE TABLE broken(');
    const report = await restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir: join(await folder('restore'), 'data') });
    expect(report.backupId).toBe(manifest.backupId);

    const stranger = Keyring.inMemory(LEDGER_KEY_NAME);
    const [code, message] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: stranger, dataDir: join(await folder('restore'), 'data') }));
    expect(code).toBe('BACKUP_MANIFEST_INVALID');
    expect(message).toMatch(/unknown key/);
    expect((await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, backupId: '99991231T235959Z-ffffff', dataDir: join(await folder('restore'), 'data') })))[0]).toBe('BACKUP_NOT_FOUND');

    // Signed with the right key, yet naming a path outside the backup or a table by SQL text: refused before anything is fetched.
    const manifestPath = join(targetDir, backupFolder(manifest.backupId), MANIFEST_OBJECT);
    const forgeries: [Partial<BackupManifest>, RegExp][] = [
      [{ objects: [...manifest.objects, { name: '../../../etc/passwd', sha256: 'a'.repeat(64), bytes: 1 }] }, /no plain object name/],
      [{ objects: manifest.objects.map((o) => (o.table === 'events' ? { ...o, table: 'events; DROP TABLE ledger_entries' } : o)) }, /a table named/],
    ];
    for (const [change, expected] of forgeries) {
      await writeFile(manifestPath, JSON.stringify(signManifest({ ...manifest, ...change }, keyring.active)));
      const [forgedCode, forgedMessage] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, backupId: manifest.backupId, dataDir: join(await folder('restore'), 'data') }));
      expect(forgedCode).toBe('BACKUP_MANIFEST_INVALID');
      expect(forgedMessage).toMatch(expected);
    }
    await writeFile(manifestPath, '{"payloadType": ');
    const [brokenCode, brokenMessage] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, backupId: manifest.backupId, dataDir: join(await folder('restore'), 'data') }));
    expect(brokenCode).toBe('BACKUP_MANIFEST_INVALID');
    expect(brokenMessage).toContain(`${backupFolder(manifest.backupId)}/${MANIFEST_OBJECT} is not readable JSON.`);

    const used = await folder('used');
    await writeFile(join(used, 'warehouse.duckdb'), 'x');
    expect((await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir: used })))[0]).toBe('RESTORE_TARGET_NOT_EMPTY');
  });
});
