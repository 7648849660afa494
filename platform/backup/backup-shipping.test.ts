import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import { QUARANTINE_COLUMNS, DuckDBWarehouse, type Warehouse } from '../../kernel/warehouse/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { TempDirs } from '../../test/support/cli.ts';
import { domainErrorOf } from '../../test/support/domain-errors.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { LedgerStore } from '../governance/index.ts';
import { IngestPipeline } from '../ingest/index.ts';
import { BackupShipping, DirectoryTarget, RESTORED_DATABASE, captureChanges, restoreBackup, segmentObject, type BackupTarget, type CapturedStores } from './index.ts';
import { openSegment, sealSegment, type ShippedChange } from './change-segments.ts';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const CURSOR = 'revops_lead_event_cursor';
const BILL_PARQUET_COLUMNS = ['tenant_id', 'batch_id', 'line', 'billing_period_start', 'charge_period_start', 'charge_category', 'billed_cost', 'effective_cost', 'tags', 'extra'];

/** Every row of every registered table that exists, in a fixed order, as text: what "the same database" means here. */
async function contents(warehouse: Warehouse): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  for (const table of platformTables()) {
    if (!(await warehouse.hasRelation(table.name))) continue;
    const rows = await warehouse.query(`SELECT * FROM ${table.name} ORDER BY ALL`);
    tables[table.name] = rows.map((row) => JSON.stringify(row, (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
  }
  return tables;
}

describe('continuous backup: a base snapshot, then the changes shipped every interval', () => {
  const db = useWarehouse('duckdb');
  const keyring = Keyring.inMemory(LEDGER_KEY_NAME);
  const dirs = new TempDirs();
  const folder = (name: string) => dirs.make(`companyos-${name}-`);
  let captured: CapturedStores | undefined;
  let ledger: LedgerStore | undefined;
  afterEach(async () => {
    await ledger?.close();
    await captured?.state.close();
    ledger = captured = undefined;
    await dirs.removeAll();
  });

  /** One round of every kind of write: events (some invalid, some repeated), receipts in two ledgers, a cursor moved, a CSV load, a Parquet load (two files, rows kept and numbered), a delete. */
  const writeRound = async (stores: CapturedStores, round: number, scratch: string) => {
    const pipeline = new IngestPipeline(stores.warehouse);
    const time = new Date(Date.UTC(2026, 11, 1, 0, 0, round)).toISOString();
    const event = (tenant: string, id: string) => cloudEvent({ id, time, tenantid: tenant, data: { value: round } });
    for (const tenant of ['acme', 'globex']) {
      const result = await pipeline.ingest([event(tenant, `e-${round}`), event(tenant, `e-${round - 1}`), { id: `bad-${round}`, tenantid: tenant }], { channel: 'http', submitter: tenant });
      expect(result.rejected).toHaveLength(1);
    }
    await Promise.all(['acme', 'globex'].map((tenant) => ledger!.append(tenant, { receiptId: `${tenant}-${round}`, text: `{"round":${round}}`, disclosures: [], keyId: keyring.active.keyId })));
    await stores.state.transaction(async (tx) => {
      const at = new Date(Date.UTC(2026, 11, 1, 0, 0, round));
      if (!(await tx.compareAndSet(CURSOR, { tenant_id: 'summit-internal' }, {}, { ingested_at: at }))) await tx.insert(CURSOR, [{ tenant_id: 'summit-internal', ingested_at: at }]);
      // A row that lives one round: its delete is shipped and replayed too.
      await tx.insert(CURSOR, [{ tenant_id: `passing-${round}`, ingested_at: at }]);
      await tx.delete(CURSOR, { tenant_id: `passing-${round - 1}` });
    });
    if (round % 4 === 0) {
      const csv = join(scratch, `q-${round}.csv`);
      const value = (column: string) => ({ tenant_id: 'acme', quarantine_id: `csv-${round}`, received_at: '2026-12-01 00:00:00', channel: 'file', reason_code: 'TEST', reason_text: 'from a file', payload: '{}' }[column] ?? '\\N');
      await writeFile(csv, `${QUARANTINE_COLUMNS.join(',')}\n${QUARANTINE_COLUMNS.map(value).join(',')}\n`);
      await stores.warehouse.insertCsv('events_quarantine', QUARANTINE_COLUMNS, csv);
      await rm(csv);
    }
    if (round % 4 === 2) {
      // Written on the live database's connection: a COPY … TO writes no row there, so nothing is recorded for it.
      const files = [0, 1].map((part) => join(scratch, `bills-${round}-${part}.parquet`));
      for (const [part, file] of files.entries()) {
        await stores.warehouse.execute(
          `COPY (SELECT 'acme' AS tenant_id, 'batch-${round}-${part}' AS batch_id, TIMESTAMP '2026-10-01' AS billing_period_start, TIMESTAMP '2026-10-01' AS charge_period_start,
             'Usage' AS charge_category, i::DECIMAL(38, 10) AS billed_cost, i::DECIMAL(38, 10) AS effective_cost, '{}' AS tags, '{}' AS extra, i % 3 <> 1 AS loadable
           FROM range(${5 + part}) AS t(i) ORDER BY i) TO '${file}' (FORMAT parquet)`,
        );
      }
      await stores.warehouse.insertParquet!('bill_rows', BILL_PARQUET_COLUMNS, files, { keep: 'loadable', numberRows: { column: 'line', first: 2 } });
      await Promise.all(files.map((file) => rm(file)));
    }
    if (round % 5 === 0) await stores.warehouse.deleteWhere('events', "tenant_id = 'globex' AND id = ?", [`e-${round - 2}`]);
  };

  const ship = async (everyMs: number, newBaseAfter?: { changes: number }, keepDays?: number, wrap = (target: BackupTarget) => target) => {
    const spoolDir = await folder('spool');
    const stores = await captureChanges(db.warehouse, { tables: platformTables(), spoolDir });
    captured = stores;
    ledger = new LedgerStore(captured.state, keyring);
    const targetDir = await folder('target');
    const target = wrap(new DirectoryTarget(targetDir));
    const shipping = new BackupShipping({ target, log: captured.log, snapshot: () => stores.source.begin(), key: () => keyring.active, spoolDir, logger: quiet, everyMs, newBaseAfter, keepDays });
    return { stores: captured, shipping, target, targetDir, spoolDir };
  };

  /** Rounds 1–3 shipped as segments 1–3 of one base, shipping stopped. */
  const shipThreeSegments = async () => {
    const { stores, shipping, target, targetDir } = await ship(10_000);
    const scratch = await folder('scratch');
    await shipping.start();
    for (let segment = 1; segment <= 3; segment++) {
      await writeRound(stores, segment, scratch);
      await shipping.shipNow();
    }
    await ledger!.close();
    await shipping.stop();
    return { target, targetDir, base: shipping.status.backupId! };
  };

  it('restores the database as the live one is after the last shipment: every row of every table, each ledger verified', async () => {
    const { stores, shipping, target } = await ship(50);
    const scratch = await folder('scratch');
    for (let round = 1; round <= 3; round++) await writeRound(stores, round, scratch);
    // Writes go on while the base snapshot is taken: each lands in the snapshot or in a segment, never both, never neither.
    let round = 4;
    let writing = true;
    const writer = (async () => {
      while (writing) await writeRound(stores, round++, scratch);
    })();
    const base = await shipping.start();
    const until = round + 10;
    while (round < until || shipping.status.segments < 2) await sleep(20);
    writing = false;
    await writer;
    await ledger!.close();
    await shipping.stop();
    expect(shipping.status.segments).toBeGreaterThan(1);
    expect(shipping.status.backlog).toBe(0);

    const dataDir = join(await folder('restore'), 'data');
    const lines: string[] = [];
    const report = await restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir, progress: (line) => lines.push(line) });
    expect(report.backupId).toBe(base.backupId);
    expect(report.replayed.changes).toBeGreaterThan(20);
    expect(report.tenantsVerified).toBe(2);
    expect(lines.join('\n')).toMatch(/change segments of .* verified/);
    const restored = await DuckDBWarehouse.open(join(dataDir, RESTORED_DATABASE));
    try {
      const [live, back] = [await contents(db.warehouse), await contents(restored)];
      expect(back.events!.length).toBeGreaterThan(40);
      expect(back.ledger_entries!.length).toBe(2 * (round - 1));
      expect(back.events_quarantine!.some((row) => row.includes('csv-'))).toBe(true);
      // The last Parquet load was written after the base (ten rounds follow its start) and came back from a segment: the
      // row of each file not kept is not there, the others have their line (position in their file + 2).
      const last = round - 1 - ((round - 1 - 2) % 4);
      const lines = (batch: string) => back.bill_rows!.map((row) => JSON.parse(row) as { batch_id: string; line: number }).filter((row) => row.batch_id === batch).map((row) => row.line);
      expect([lines(`batch-${last}-0`), lines(`batch-${last}-1`)]).toEqual([[2, 4, 5], [2, 4, 5, 7]]);
      expect(back).toEqual(live);
    } finally {
      await restored.close();
    }
  });

  it('takes a new base after enough changes, pruning what is past the window; the restore starts from the newest and replays only what follows it', async () => {
    const { stores, shipping, target } = await ship(10_000, { changes: 25 }, 0);
    const scratch = await folder('scratch');
    const first = await shipping.start();
    for (let round = 1; round <= 12; round++) {
      await writeRound(stores, round, scratch);
      await shipping.shipNow();
    }
    await ledger!.close();
    await shipping.stop();
    expect(shipping.status.backupId).not.toBe(first.backupId);
    // A window of 0 days: every base but the newest is past it, with its shipped changes.
    expect([...new Set((await target.list('backups')).map((name) => name.split('/')[1]))]).toEqual([shipping.status.backupId]);

    const dataDir = join(await folder('restore'), 'data');
    const report = await restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir });
    expect(report.backupId).toBe(shipping.status.backupId);
    // Only what follows the newest base (and what was shipped while it was exported), not everything since the first.
    expect(report.replayed.changes).toBeLessThan(stores.log.position);
    const restored = await DuckDBWarehouse.open(join(dataDir, RESTORED_DATABASE));
    try {
      expect(await contents(restored)).toEqual(await contents(db.warehouse));
    } finally {
      await restored.close();
    }
  });

  it('keeps shipping to the current base while a later one is exported: a kill before it completes loses nothing, and once complete it is whole', async () => {
    // A target that holds a manifest back once `slow` is set, until the test lets it go: the later base's export
    // waits there with its tables written.
    let slow = false;
    let manifestReached!: () => void;
    const exportAtManifest = new Promise<void>((resolve) => (manifestReached = resolve));
    let releaseManifest!: () => void;
    const manifestReleased = new Promise<void>((resolve) => (releaseManifest = resolve));
    const slowManifests = (inner: BackupTarget): BackupTarget => ({
      description: inner.description,
      get: (name, to) => inner.get(name, to),
      list: (prefix) => inner.list(prefix),
      delete: (name) => inner.delete(name),
      put: async (name, from) => {
        if (slow && name.endsWith('/manifest.dsse.json')) {
          manifestReached();
          await manifestReleased;
        }
        await inner.put(name, from);
      },
    });
    const { stores, shipping, target, targetDir } = await ship(60_000, { changes: 10 }, undefined, slowManifests);
    const scratch = await folder('scratch');
    const first = await shipping.start();
    slow = true;
    let round = 1;
    for (; round <= 3; round++) {
      await writeRound(stores, round, scratch);
      await shipping.shipNow();
    }
    // The later base is being exported now; the writes go on, each shipped to the first base's segments.
    for (; round <= 6; round++) {
      await writeRound(stores, round, scratch);
      await shipping.shipNow();
      expect(shipping.status.backupId).toBe(first.backupId);
    }
    // A kill now: the target as it is, the later base without its manifest. Copied once the export has written
    // its tables (a copy while it writes them would race its renames).
    await exportAtManifest;
    expect(shipping.status.backupId).toBe(first.backupId);
    const killed = await folder('killed');
    await cp(targetDir, killed, { recursive: true });
    const atKill = await contents(db.warehouse);
    const killedDir = join(await folder('restore-killed'), 'data');
    expect((await restoreBackup({ tables: platformTables(), target: new DirectoryTarget(killed), keys: keyring, dataDir: killedDir })).backupId).toBe(first.backupId);

    releaseManifest();
    await shipping.settled();
    expect(shipping.status.backupId).not.toBe(first.backupId);
    for (; round <= 8; round++) await writeRound(stores, round, scratch);
    await ledger!.close();
    await shipping.stop();
    const dataDir = join(await folder('restore'), 'data');
    expect((await restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir })).backupId).toBe(shipping.status.backupId);
    for (const [folderOf, expected] of [[killedDir, atKill], [dataDir, await contents(db.warehouse)]] as const) {
      const restored = await DuckDBWarehouse.open(join(folderOf, RESTORED_DATABASE));
      try {
        expect(await contents(restored)).toEqual(expected);
      } finally {
        await restored.close();
      }
    }
  });

  it('removes the spooled files it kept for a later base once that base fails', async () => {
    // A target that refuses a manifest once `failing` is set, when the test lets it: the later base's export fails there.
    let failing = false;
    let manifestReached!: () => void;
    const exportAtManifest = new Promise<void>((resolve) => (manifestReached = resolve));
    let failManifest!: () => void;
    const manifestFails = new Promise<void>((resolve) => (failManifest = resolve));
    const failingManifests = (inner: BackupTarget): BackupTarget => ({
      ...inner,
      put: async (name, from) => {
        if (failing && name.endsWith('/manifest.dsse.json')) {
          manifestReached();
          await manifestFails;
          throw new Error('the target refused the manifest');
        }
        await inner.put(name, from);
      },
    });
    const { stores, shipping, spoolDir } = await ship(60_000, { changes: 10 }, undefined, failingManifests);
    const scratch = await folder('scratch');
    await shipping.start();
    failing = true;
    // Rounds 2, 4 and 6 load files; those shipped while the later base is exported are kept for it.
    for (let round = 1; round <= 6; round++) {
      await writeRound(stores, round, scratch);
      await shipping.shipNow();
    }
    await exportAtManifest;
    const loadedFiles = async () => (await readdir(spoolDir)).filter((name) => /\.(csv|parquet)$/.test(name));
    expect((await loadedFiles()).length).toBeGreaterThan(0);
    failManifest();
    await waitFor(async () => (await loadedFiles()).length === 0, 'the spooled files to be removed after the failed base');
    await ledger!.close();
    await shipping.stop();
  });

  it('restores to a time: the changes acknowledged by then and none after; before the first backup it refuses', async () => {
    const { stores, shipping, target } = await ship(10_000);
    const scratch = await folder('scratch');
    const base = await shipping.start();
    for (let round = 1; round <= 4; round++) await writeRound(stores, round, scratch);
    await sleep(5);
    const cut = new Date();
    await sleep(5);
    for (let round = 5; round <= 8; round++) await writeRound(stores, round, scratch);
    await ledger!.close();
    await shipping.stop();

    const dataDir = join(await folder('restore'), 'data');
    const report = await restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir, toTime: cut });
    expect(report.replayed.leftOut).toBeGreaterThan(0);
    expect(Date.parse(report.recoveredThrough)).toBeLessThanOrEqual(cut.getTime());
    const restored = await DuckDBWarehouse.open(join(dataDir, RESTORED_DATABASE));
    try {
      const ids = (await restored.query<{ id: string }>("SELECT id FROM events WHERE tenant_id = 'acme' ORDER BY id")).map((row) => row.id);
      expect(ids).toEqual(['e-0', 'e-1', 'e-2', 'e-3', 'e-4']);
      const [cursor] = await restored.query<{ ingested_at: Date }>(`SELECT ingested_at FROM ${CURSOR}`);
      expect(cursor!.ingested_at.toISOString()).toBe('2026-12-01T00:00:04.000Z');
      expect((await restored.query("SELECT * FROM ledger_entries WHERE tenant_id = 'globex'")).length).toBe(4);
    } finally {
      await restored.close();
    }

    const before = new Date(Date.parse(base.snapshotAt) - 60_000);
    const [code, message] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir: join(await folder('early'), 'data'), toTime: before }));
    expect(code).toBe('RESTORE_TIME_UNAVAILABLE');
    expect(message).toContain('before the first backup');
  });

  it('writes a segment holding a Parquet load as v2 (a release that reads v1 only refuses it) and the rest as v1; refuses a kind of change it does not know before restoring anything', async () => {
    const { target, targetDir, base } = await shipThreeSegments();
    const opened = await Promise.all([1, 2, 3].map(async (n) => openSegment(await readFile(join(targetDir, segmentObject(base, n))), keyring, `segment ${n}`)));
    expect(opened.map((segment) => [segment.format, segment.changes.some(({ change }) => change.op === 'parquet')])).toEqual([
      ['companyos.changes/v1', false], ['companyos.changes/v2', true], ['companyos.changes/v1', false],
    ]);
    // A segment from a later release, signed like any other, with a change this one does not know.
    const [last] = opened.slice(-1);
    last!.changes[0] = { ...last!.changes[0]!, change: { op: 'teleport' } as unknown as ShippedChange };
    await writeFile(join(targetDir, segmentObject(base, 3)), await sealSegment(last!, keyring.active));
    const dataDir = join(await folder('restore'), 'data');
    const [code, message] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir }));
    expect(code).toBe('BACKUP_OBJECT_CORRUPT');
    expect(message).toContain('"teleport"');
    expect(message).toContain(segmentObject(base, 3));
    expect(await readdir(dataDir)).toEqual([]);
    // The same for a step of a state transaction.
    last!.changes[0] = { ...last!.changes[0]!, change: { op: 'state', steps: [{ op: 'truncate', table: 'entities' }] } as unknown as ShippedChange };
    await writeFile(join(targetDir, segmentObject(base, 3)), await sealSegment(last!, keyring.active));
    const [stepCode, stepMessage] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir }));
    expect([stepCode, stepMessage.includes('"truncate"'), stepMessage.includes(segmentObject(base, 3))]).toEqual(['BACKUP_OBJECT_CORRUPT', true, true]);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('refuses a segment changed by one byte, or missing between others, naming it, and leaves no database behind', async () => {
    const { target, targetDir, base } = await shipThreeSegments();
    const second = join(targetDir, segmentObject(base, 2));
    const original = await readFile(second);
    const flipped = Buffer.from(original);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    await writeFile(second, flipped);
    const dataDir = join(await folder('restore'), 'data');
    const [code, message] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir }));
    expect(code).toBe('BACKUP_OBJECT_CORRUPT');
    expect(message).toContain(segmentObject(base, 2));
    expect(await readdir(dataDir)).toEqual([]);

    await rm(second);
    const [missing, missingMessage] = await domainErrorOf(restoreBackup({ tables: platformTables(), target, keys: keyring, dataDir }));
    expect(missing).toBe('BACKUP_OBJECT_MISSING');
    expect(missingMessage).toContain(segmentObject(base, 2));
  });
});
