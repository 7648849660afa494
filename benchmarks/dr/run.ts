/**
 * Backup and restore of the embedded database (DuckDB): N events for T tenants plus a ledger of
 * R receipts, backed up to a directory target (consistent snapshot, checksums, signed manifest)
 * and restored into an empty folder (checksums verified, loaded, row counts and ledger roots
 * checked). Baseline in the same run: a plain copy of the database file after a checkpoint —
 * what any backup must at least move.
 *
 *   npm run bench:dr -- [--events 10000000] [--tenants 100] [--receipts 20000] [--runs 1] [--writes 20000]
 *
 * Figures: MB/s and rows/s of backup and restore, the RTO (restore start to validated) against the
 * 300 s target, and each against the file copy. Then continuous backup (shipping.ts): `--writes`
 * writes through the plain stores (baseline) and through the capturing stores while shipping every
 * second — writes/s and p50/p95/p99 each —, the RPO exposure over that run, and the RTO of the
 * restore that replays it.
 */
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import { openStateStore } from '../../kernel/state/index.ts';
import type { DuckDBWarehouse } from '../../kernel/warehouse/index.ts';
import { DirectoryTarget, restoreBackup, takeBackup } from '../../platform/backup/index.ts';
import { LedgerStore } from '../../platform/governance/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { percentiles, timed } from '../lib/stats.ts';
import { onScratchWarehouse } from '../lib/targets.ts';
import { measureShipping, printShipping, type ShippingFigures } from './shipping.ts';
import { loadBenchEvents } from '../lib/warehouse-events.ts';

const { values: args } = parseArgs({
  options: {
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

await onScratchWarehouse('duckdb', async (warehouse, dataDir) => {
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

  const database = (warehouse as DuckDBWarehouse).location;
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
      await warehouse.execute('CHECKPOINT');
      fileBytes = (await stat(database)).size;
      const [, copySeconds] = await timed(() => copyFile(database, join(scratch, `copy-${run}.duckdb`)));
      copies.push(copySeconds);
      await rm(join(scratch, `copy-${run}.duckdb`));
      const target = new DirectoryTarget(join(scratch, `target-${run}`));
      const [manifest, backupSeconds] = await timed(() => takeBackup(warehouse as DuckDBWarehouse, { target, key: keyring.active }));
      backups.push(backupSeconds);
      objectBytes = manifest.objects.reduce((total, o) => total + o.bytes, 0);
      rows = Object.values(manifest.rowCounts).reduce((total, n) => total + n, 0);
      const report = await restoreBackup({ target, keys: keyring, dataDir: join(scratch, `restored-${run}`), tables: platformTables() });
      restores.push(report.rtoMs / 1000);
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
  console.log(`database file ${mb(fileBytes).toFixed(1)} MB after a checkpoint; backup objects ${mb(objectBytes).toFixed(1)} MB (Parquet); ${rows.toLocaleString('en')} rows; ${RUNS} run(s)`);
  console.log(`${'step'.padEnd(34)} ${'p50 s'.padStart(8)} ${'max s'.padStart(8)} ${'MB/s'.padStart(9)} ${'rows/s'.padStart(12)} ${'× copy'.padStart(9)}`);
  console.log(line('file copy (baseline)', copies, fileBytes));
  console.log(line('backup (snapshot, checksums, sign)', backups, objectBytes, rows));
  console.log(line('restore = RTO (verify, load, check)', restores, objectBytes, rows));
  const rto = percentiles(restores).max;
  console.log(`RTO ${rto.toFixed(1)} s (worst of ${RUNS}) vs target ${RTO_TARGET_S} s: ${rto <= RTO_TARGET_S ? 'MET' : 'MISSED'}`);
  printShipping(shipping!, percentiles(restores).p50);
});
