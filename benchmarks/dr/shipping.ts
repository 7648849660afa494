import { join } from 'node:path';
import type { Keyring } from '../../kernel/ledger/index.ts';
import type { StateStore } from '../../kernel/state/index.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { BackupShipping, DirectoryTarget, captureChanges, restoreBackup } from '../../platform/backup/index.ts';
import { LedgerStore } from '../../platform/governance/index.ts';
import { IngestPipeline } from '../../platform/ingest/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { percentiles, timed } from '../lib/stats.ts';

export interface ShippingFigures {
  plain: WriteFigures;
  shipped: WriteFigures;
  /** Samples (every 50 ms) of the age of the oldest change not yet on the target: what a kill at that moment would lose. */
  exposureMs: number[];
  restore: { seconds: number; changes: number; segments: number; replaySeconds: number };
}

interface WriteFigures {
  seconds: number;
  writes: number;
  latencyMs: number[];
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The platform's kind of write — a receipt appended to a tenant's ledger (a state transaction) and
 * one metering event ingested, together — `writes` times, `concurrency` at once, through the plain
 * stores and through the change-capturing stores while a base snapshot is shipped and the changes
 * follow every second, in alternating rounds. Then the restore of that backup, replaying what was shipped.
 */
export async function measureShipping(
  warehouse: Warehouse, state: StateStore, keyring: Keyring, scratch: string,
  { writes, concurrency, tenants }: { writes: number; concurrency: number; tenants: number },
): Promise<ShippingFigures> {
  // Plain and shipped rounds write to tenants of their own: a restore of the shipped backup holds the shipped tenants' logs whole.
  const run = async (label: string, group: 'plain' | 'shipped', stores: { warehouse: Warehouse; state: StateStore }, count: number): Promise<WriteFigures> => {
    const ledger = new LedgerStore(stores.state, keyring);
    const pipeline = new IngestPipeline(stores.warehouse);
    const latencyMs: number[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const tenant = `${group}-${i % tenants}`;
        const started = performance.now();
        await Promise.all([
          ledger.append(tenant, { receiptId: `${label}-${i}`, text: JSON.stringify({ receipt: i, padding: 'x'.repeat(200) }), disclosures: [], keyId: keyring.active.keyId }),
          pipeline.ingest([{ specversion: '1.0', id: `${label}-${i}`, source: '/bench/dr', type: 'usage.recorded', time: new Date().toISOString(), tenantid: tenant, policyversion: 'v1', data: { value: i } }], { channel: 'http', submitter: tenant }),
        ]);
        latencyMs.push(performance.now() - started);
      }
    };
    const [, seconds] = await timed(() => Promise.all(Array.from({ length: concurrency }, worker)));
    await ledger.close();
    return { seconds, writes: count, latencyMs };
  };
  const sum = (runs: WriteFigures[]): WriteFigures => ({ seconds: runs.reduce((t, r) => t + r.seconds, 0), writes: runs.reduce((t, r) => t + r.writes, 0), latencyMs: runs.flatMap((r) => r.latencyMs) });

  // Every tenant's ledger read once, and the insert statements prepared, before any measured round.
  const warmUp = Math.min(writes, 2000);
  await run('warm-plain', 'plain', { warehouse, state }, warmUp);
  await run('warm-shipped', 'shipped', { warehouse, state }, warmUp);
  const spoolDir = join(scratch, 'spool');
  const captured = await captureChanges(warehouse, { tables: platformTables(), spoolDir, state: warehouse.engine === 'clickhouse' ? state : undefined });
  const target = new DirectoryTarget(join(scratch, 'shipped'));
  const shipping = new BackupShipping({ target, log: captured.log, snapshot: () => captured.source.begin(), key: () => keyring.active, spoolDir, logger: quiet });
  await shipping.start();
  const exposureMs: number[] = [];
  let sampling = false;
  const sampler = setInterval(() => sampling && exposureMs.push(shipping.status.unshippedAgeSeconds * 1000), 50);
  const plain: WriteFigures[] = [];
  const shipped: WriteFigures[] = [];
  try {
    // Alternated, two rounds each: the machine's drift over the run falls on both.
    for (let round = 0; round < 2; round++) {
      plain.push(await run(`plain-${round}`, 'plain', { warehouse, state }, Math.ceil(writes / 2)));
      sampling = true;
      shipped.push(await run(`shipped-${round}`, 'shipped', captured, Math.ceil(writes / 2)));
      sampling = false;
    }
  } finally {
    clearInterval(sampler);
    await shipping.stop();
    await captured.state.close();
  }
  const into = await captured.source.scratchDatabase?.('bench_restore_shipped');
  let report;
  try {
    report = await restoreBackup({ target, keys: keyring, dataDir: join(scratch, 'restored-shipped'), tables: platformTables(), clickhouse: into?.clickhouse });
  } finally {
    await into?.drop();
  }
  return {
    plain: sum(plain), shipped: sum(shipped), exposureMs,
    restore: { seconds: report.rtoMs / 1000, changes: report.replayed.changes, segments: report.replayed.segments, replaySeconds: report.replayed.seconds },
  };
}

export function printShipping(figures: ShippingFigures, baseRestoreSeconds: number): void {
  const row = (name: string, f: WriteFigures) => {
    const p = percentiles(f.latencyMs);
    return `${name.padEnd(34)} ${Math.round(f.writes / f.seconds).toLocaleString('en').padStart(9)} ${p.p50.toFixed(1).padStart(8)} ${p.p95.toFixed(1).padStart(8)} ${p.p99.toFixed(1).padStart(8)} ${(f.writes / f.seconds / (figures.plain.writes / figures.plain.seconds)).toFixed(2).padStart(8)}×`;
  };
  console.log(`\ncontinuous backup: ${figures.plain.writes.toLocaleString('en')} writes (a receipt + an event each)`);
  console.log(`${'writes'.padEnd(34)} ${'writes/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'× plain'.padStart(9)}`);
  console.log(row('plain stores (baseline)', figures.plain));
  console.log(row('captured and shipped every 1 s', figures.shipped));
  const exposure = percentiles(figures.exposureMs);
  console.log(`RPO exposure (oldest unshipped change, sampled every 50 ms): p50 ${exposure.p50.toFixed(0)} ms, p95 ${exposure.p95.toFixed(0)} ms, p99 ${exposure.p99.toFixed(0)} ms, max ${exposure.max.toFixed(0)} ms vs target 5000 ms: ${exposure.max <= 5000 ? 'MET' : 'MISSED'}`);
  const { seconds, changes, segments, replaySeconds } = figures.restore;
  console.log(`restore with replay: RTO ${seconds.toFixed(1)} s vs the snapshot alone ${baseRestoreSeconds.toFixed(1)} s; the replay of ${changes.toLocaleString('en')} changes (${segments} segments) ${replaySeconds.toFixed(1)} s, ${Math.round(changes / replaySeconds).toLocaleString('en')} changes/s`);
}
