/**
 * Recovery of what a kill took from a process's queues: the decisions its receipts cite, restored from the receipts
 * (`DecisionLog.restoreBetween`: what a process that takes over a dead process's queue mark runs, an hour at a time).
 *
 *   npm run bench:recovery -- [--receipts 100000] [--lost 0.01] [--tenants 10] [--runs 5] [--warehouse duckdb,clickhouse]
 *
 * `--receipts` receipts in `--tenants` tenants' logs (DuckDB state store), each citing a gate decision; all but the
 * `--lost` share of those decisions are in the decision log. Measured: the first restore over the receipts' span (it
 * restores the lost ones), then `--runs` more over the same span (nothing left: the cost of looking), as receipts
 * checked a second with p50/p95/p99 of the runs, and the heap before and at most during the first (receipts are read
 * a page at a time). Baseline in the same run: reading and decoding the span's receipts from the state store with nothing else,
 * in one read — what any recovery of the span must read.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import { openStateStore } from '../../kernel/state/index.ts';
import { DecisionLog, LedgerStore, appendRecordReceipt, type DecisionRecord } from '../../platform/governance/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { percentiles, timed } from '../lib/stats.ts';
import { onScratchWarehouse, parseEngines } from '../lib/targets.ts';

const { values: args } = parseArgs({
  options: {
    receipts: { type: 'string', default: '100000' },
    lost: { type: 'string', default: '0.01' },
    tenants: { type: 'string', default: '10' },
    runs: { type: 'string', default: '5' },
    warehouse: { type: 'string', default: 'duckdb' },
  },
});
const RECEIPTS = Number(args.receipts);
const LOST_EVERY = Math.round(1 / Number(args.lost));
const TENANTS = Number(args.tenants);
const RUNS = Number(args.runs);
const CHUNK = 1_000;
const silent = { error: () => undefined };

const decisionOf = (id: string, tenant: string): DecisionRecord => ({
  decision_id: id, timestamp: new Date().toISOString(), path: 'cedar/CompanyOS/create',
  input: { principal: `${tenant}/bench`, action: 'create', resource: 'Asset/a-1', context: {} },
  result: { decision: 'allow', reasons: ['writers-create-update'], errors: [] }, bundles: { companyos: { revision: 'bench' } },
  erased: [], masked: [], trace_id: '', tenant, resource_tenant: tenant, method: 'POST', route: '/v1/entities',
});

for (const engine of parseEngines(args.warehouse)) {
  const summary = await onScratchWarehouse(engine, async (warehouse, dataDir) => {
    const state = await openStateStore(warehouse, { dataDir, tables: platformTables() });
    const ledger = new LedgerStore(state, Keyring.inMemory(LEDGER_KEY_NAME));
    const writer = new DecisionLog(warehouse, silent);
    const log = new DecisionLog(warehouse, silent);
    try {
      const since = new Date(Date.now() - 1_000);
      let lost = 0;
      const [, loadSeconds] = await timed(async () => {
        for (let at = 0; at < RECEIPTS; at += CHUNK) {
          const appends: Promise<number>[] = [];
          for (let i = at; i < Math.min(RECEIPTS, at + CHUNK); i++) {
            const tenant = `tenant-${i % TENANTS}`;
            const decisionId = randomUUID();
            if (i % LOST_EVERY === 0) lost++;
            else writer.record(decisionOf(decisionId, tenant));
            appends.push(appendRecordReceipt(ledger, {
              tenant, receiptId: `r-${i}`, actor: `${tenant}/bench`, action: 'create', targetName: `Asset/a-${i}`, decisionId,
              bundleRevision: 'bench', approvers: [], at: new Date(), record: `a-${i}`,
            }));
          }
          await Promise.all(appends);
          await writer.flush();
        }
      });
      const until = new Date(Date.now() + 1_000);

      const [read, baselineSeconds] = await timed(async () => {
        const rows = await state.query<{ entry: string }>('SELECT tenant_id, entry FROM ledger_entries WHERE appended_at >= ? AND appended_at < ?', [since, until]);
        let cited = 0;
        for (const row of rows) {
          const payload = JSON.parse(Buffer.from((JSON.parse(row.entry) as { payload: string }).payload, 'base64').toString('utf8')) as { predicate: { decisionId: string } };
          if (payload.predicate.decisionId) cited++;
        }
        return cited;
      });
      if (read !== RECEIPTS) throw new Error(`the baseline read ${read} receipts of ${RECEIPTS}`);

      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      const sampler = setInterval(() => { heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed); }, 10);
      const [restored, firstSeconds] = await timed(() => log.restoreBetween('companyos', state, since, until));
      clearInterval(sampler);
      if (restored !== lost) throw new Error(`restored ${restored} decisions, ${lost} were lost`);
      const samples: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const [again, seconds] = await timed(() => log.restoreBetween('companyos', state, since, until));
        if (again !== 0) throw new Error(`a second restore found ${again} decisions missing`);
        samples.push(seconds * 1000);
      }
      const { p50, p95, p99 } = percentiles(samples);
      const perSecond = (seconds: number) => Math.round(RECEIPTS / seconds).toLocaleString('en-US');
      console.log(`recovery (${engine}): ${RECEIPTS.toLocaleString('en-US')} receipts in ${TENANTS} tenants (appended in ${loadSeconds.toFixed(1)} s), ${lost.toLocaleString('en-US')} decisions lost`);
      console.log(`  first restore           ${firstSeconds.toFixed(2)} s   ${perSecond(firstSeconds)} receipts/s   ${lost} restored   heap ${(heapBefore / 1e6).toFixed(0)} MB before, ${(heapPeak / 1e6).toFixed(0)} MB at most`);
      console.log(`  look again (${RUNS} runs)    p50 ${(p50 / 1000).toFixed(2)} s  p95 ${(p95 / 1000).toFixed(2)} s  p99 ${(p99 / 1000).toFixed(2)} s   ${perSecond(p50 / 1000)} receipts/s at p50`);
      console.log(`  baseline: read and decode the span's receipts in one read ${baselineSeconds.toFixed(2)} s (restore ×${(firstSeconds / baselineSeconds).toFixed(1)}, look again ×${(p50 / 1000 / baselineSeconds).toFixed(1)} at p50)`);
      return {
        benchmark: 'recovery', engine, receipts: RECEIPTS, tenants: TENANTS, lost, first_restore_s: Number(firstSeconds.toFixed(3)),
        look_again_p50_s: Number((p50 / 1000).toFixed(3)), look_again_p95_s: Number((p95 / 1000).toFixed(3)), look_again_p99_s: Number((p99 / 1000).toFixed(3)),
        baseline_read_s: Number(baselineSeconds.toFixed(3)), heap_before_mb: Math.round(heapBefore / 1e6), heap_peak_mb: Math.round(heapPeak / 1e6),
      };
    } finally {
      await Promise.all([writer.close(), log.close()]);
      await ledger.close();
      await state.close();
    }
  });
  console.log(JSON.stringify(summary));
}
