/**
 * Backup and restore of the embedded database (DuckDB), or of ClickHouse with the state beside it
 * (`--warehouse clickhouse`: a local server): N events for T tenants plus a ledger of R receipts,
 * backed up to a directory target (consistent snapshot or FREEZE, checksums, signed manifest) and
 * restored into an empty folder (and database) (checksums verified, loaded or attached, row counts
 * and ledger roots checked). Baseline in the same run: a plain copy of the data — the database file
 * after a checkpoint, or the ClickHouse database's folder — what any backup must at least move.
 *
 *   npm run bench:dr -- [--warehouse duckdb|clickhouse] [--events 10000000] [--tenants 100] [--receipts 20000] [--runs 1] [--writes 20000]
 *
 * Figures: MB/s and rows/s of backup and restore, the RTO (restore start to validated) against the
 * 300 s target, and each against the file copy. Then continuous backup (shipping.ts): `--writes`
 * writes through the plain stores (baseline) and through the capturing stores while shipping every
 * second — writes/s and p50/p95/p99 each —, the RPO exposure over that run, and the RTO of the
 * restore that replays it.
 */
import { cp, copyFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import { openStateStore, type DuckDBStateStore } from '../../kernel/state/index.ts';
import type { ClickHouseWarehouse, DuckDBWarehouse, EngineName, Warehouse } from '../../kernel/warehouse/index.ts';
import { DirectoryTarget, backupNow, clickhouseBackupSource, duckdbBackupSource, restoreBackup } from '../../platform/backup/index.ts';
import { LedgerStore } from '../../platform/governance/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { percentiles, timed } from '../lib/stats.ts';
import { onScratchWarehouse } from '../lib/targets.ts';
import { measureShipping, printShipping, type ShippingFigures } from './shipping.ts';
import { loadBenchEvents } from '../lib/warehouse-events.ts';

const { values: args } = parseArgs({
  options: {
    warehouse: { type: 'string', default: 'duckdb' },
    events: { type: 'string', default: '10000000' },
    tenants: { type: 'string', default: '100' },
    receipts: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '1' },
    writes: { type: 'string', default: '20000' },
  },
});
const N = Number(args.events);
const TENANTS = Number(args.tenants);
const RECEIPTS = Number(args.receipts);
const RUNS = Number(args.runs);
const START = Date.UTC(2026, 9, 1);
const MONTH_MS = 30 * 86_400_000;
const RTO_TARGET_S = 300;

const ENGINE = args.warehouse as EngineName;
if (ENGINE !== 'duckdb' && ENGINE !== 'clickhouse') throw new Error(`--warehouse ${ENGINE}: duckdb or clickhouse`);

/** The bytes a plain copy moves, and the copy: the database file, or the ClickHouse database's folder on the server. */
async function plainCopy(warehouse: Warehouse, to: string): Promise<number> {
  if (warehouse.engine === 'duckdb') {
    await warehouse.execute('CHECKPOINT');
    const file = (warehouse as DuckDBWarehouse).location;
    await copyFile(file, to);
    return (await stat(file)).size;
  }
  const [row] = await warehouse.query<{ data_path: string }>("SELECT data_path FROM system.tables WHERE database = currentDatabase() AND data_path != '' LIMIT 1");
  const folder = row!.data_path.replace(/[^/]+\/?$/, '');
  await cp(folder, to, { recursive: true });
  return folderBytes(to);
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  return total;
}

await onScratchWarehouse(ENGINE, async (warehouse, dataDir) => {
  const loadSeconds = await loadBenchEvents(warehouse, { from: 0, count: N, total: N, tenants: TENANTS, start: START, monthMs: MONTH_MS, ingestedAt: new Date(START + MONTH_MS) });
  const keyring = Keyring.inMemory(LEDGER_KEY_NAME);
  const state = await openStateStore(warehouse, { dataDir, tables: platformTables() });
  const ledger = new LedgerStore(state, keyring);
  const [, ledgerSeconds] = await timed(async () => {
    for (let i = 0; i < RECEIPTS; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, RECEIPTS - i) }, (_, k) => ledger.append(`tenant-${(i + k) % TENANTS}`, {
        receiptId: `r-${i + k}`, text: JSON.stringify({ receipt: i + k, padding: 'x'.repeat(200) }), disclosures: [], keyId: keyring.active.keyId,
      })));
    }
  });
  await ledger.close();
  console.log(`loaded ${N.toLocaleString('en')} events in ${loadSeconds.toFixed(1)} s and ${RECEIPTS.toLocaleString('en')} receipts over ${TENANTS} tenants in ${ledgerSeconds.toFixed(1)} s`);

  const source = ENGINE === 'clickhouse' ? clickhouseBackupSource(warehouse as ClickHouseWarehouse, state as DuckDBStateStore) : duckdbBackupSource(warehouse as DuckDBWarehouse);
  const scratch = await mkdtemp(join(tmpdir(), 'companyos-bench-dr-'));
  const copies: number[] = [];
  const backups: number[] = [];
  const restores: number[] = [];
  let fileBytes = 0;
  let objectBytes = 0;
  let rows = 0;
  let shipping: ShippingFigures | undefined;
  try {
    for (let run = 0; run < RUNS; run++) {
      const [bytes, copySeconds] = await timed(() => plainCopy(warehouse, join(scratch, `copy-${run}`)));
      fileBytes = bytes;
      copies.push(copySeconds);
      await rm(join(scratch, `copy-${run}`), { recursive: true });
      const target = new DirectoryTarget(join(scratch, `target-${run}`));
      const [manifest, backupSeconds] = await timed(() => backupNow(source, { target, key: keyring.active }));
      backups.push(backupSeconds);
      objectBytes = manifest.objects.reduce((total, o) => total + o.bytes, 0);
      const into = await source.scratchDatabase?.(`bench_restore_${run}`);
      try {
        const report = await restoreBackup({ target, keys: keyring, dataDir: join(scratch, `restored-${run}`), tables: platformTables(), clickhouse: into?.clickhouse });
        rows = report.rows;
        restores.push(report.rtoMs / 1000);
      } finally {
        await into?.drop();
      }
      await rm(join(scratch, `target-${run}`), { recursive: true });
      await rm(join(scratch, `restored-${run}`), { recursive: true });
    }
    shipping = await measureShipping(warehouse, state, keyring, scratch, { writes: Number(args.writes), concurrency: 50, tenants: TENANTS });
  } finally {
    await state.close();
    await rm(scratch, { recursive: true, force: true });
  }
  const mb = (bytes: number) => bytes / 1024 / 1024;
  const line = (name: string, seconds: number[], bytes: number, count?: number) => {
    const { p50, max } = percentiles(seconds);
    return `${name.padEnd(34)} ${p50.toFixed(2).padStart(8)} ${max.toFixed(2).padStart(8)} ${(mb(bytes) / p50).toFixed(1).padStart(9)} ${count === undefined ? '-'.padStart(12) : Math.round(count / p50).toLocaleString('en').padStart(12)} ${(p50 / percentiles(copies).p50).toFixed(1).padStart(8)}×`;
  };
  console.log(ENGINE === 'duckdb'
    ? `database file ${mb(fileBytes).toFixed(1)} MB after a checkpoint; backup objects ${mb(objectBytes).toFixed(1)} MB (Parquet); ${rows.toLocaleString('en')} rows; ${RUNS} run(s)`
    : `ClickHouse database folder ${mb(fileBytes).toFixed(1)} MB; backup objects ${mb(objectBytes).toFixed(1)} MB (frozen parts and the state's Parquet); ${rows.toLocaleString('en')} rows; ${RUNS} run(s)`);
  console.log(`${'step'.padEnd(34)} ${'p50 s'.padStart(8)} ${'max s'.padStart(8)} ${'MB/s'.padStart(9)} ${'rows/s'.padStart(12)} ${'× copy'.padStart(9)}`);
  console.log(line(ENGINE === 'duckdb' ? 'file copy (baseline)' : 'folder copy (baseline)', copies, fileBytes));
  console.log(line(ENGINE === 'duckdb' ? 'backup (snapshot, checksums, sign)' : 'backup (FREEZE, checksums, sign)', backups, objectBytes, rows));
  console.log(line(ENGINE === 'duckdb' ? 'restore = RTO (verify, load, check)' : 'restore = RTO (verify, attach, check)', restores, objectBytes, rows));
  const rto = percentiles(restores).max;
  console.log(`RTO ${rto.toFixed(1)} s (worst of ${RUNS}) vs target ${RTO_TARGET_S} s: ${rto <= RTO_TARGET_S ? 'MET' : 'MISSED'}`);
  printShipping(shipping!, percentiles(restores).p50);
});
