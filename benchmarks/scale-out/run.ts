/**
 * The scale-out profile through its load balancer: 1 API replica, then 2, in one run.
 *
 *   npm run bench:scale-out -- [--rate 500] [--seconds 30] [--warmup 5] [--tenants 10] [--ingest-seconds 15] [--batch 1000] [--connections 64]
 *                              [--build-events 2000000] [--build-new 20000] [--build-tenants 100]
 *
 * Each replica is `companyos start --no-seed` as its own process, its state in one throwaway PostgreSQL cluster
 * (durable, fsync on) and its events in one ClickHouse server, behind HAProxy running deploy/scale-out/haproxy.cfg.
 * For each shape (1 replica: both `server` lines name it; 2 replicas), both API windows first, then both ingests:
 * 1. API: the gated flows create-entity, run-workflow, policy-simulate and provenance-fetch at a constant arrival rate
 *    (open loop, `--rate` req/s, tenants round robin) for `--seconds` after `--warmup`; p50/p95/p99 per flow.
 * 2. Ingest: `--connections` closed-loop writers posting batches of `--batch` events through the balancer for
 *    `--ingest-seconds`; events/s, and batch p50/p95/p99.
 * Prints both shapes side by side, the 2-replica figure as a ratio of the 1-replica one, and PASS/MISS against the
 * issue's target: p95 ≤ 100 ms for every flow at 500 req/s with 2 replicas.
 * 3. Builds on a 2 × 2 ClickHouse cluster (cluster-build.ts): full, incremental with nothing new, then incremental after `--build-new` events, with
 *    the same run's grouped scan of the raw events as baseline, and PASS/MISS against incremental ≤ 10% of full
 *    (`--build-events 0` skips it).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureHaproxy, ensurePostgres, startLocalBalancer, startLocalPostgres, type LocalBalancer, type LocalPostgres } from '../../dev/index.ts';
import { TokenAuthority } from '../../platform/identity/index.ts';
import { shot, timedShot, type Flow, type TenantState } from '../api-flows/flows.ts';
import { describeBand, largestPart, tailBands } from '../api-flows/tail.ts';
import { openLoop, weightedSequence } from '../api-flows/open-loop.ts';
import { Client, startPlatform, stopPlatform, type Platform } from '../api-flows/platform.ts';
import { benchmarkEvent } from '../lib/events.ts';
import { percentiles } from '../lib/stats.ts';
import { TargetFactory } from '../lib/targets.ts';
import { clickHouseWindow, cpuSeconds, describeWork, mergesSettled, type ClickHouseWork } from '../lib/clickhouse-work.ts';
import { measureClusterBuild } from './cluster-build.ts';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    tenants: { type: 'string', default: '10' },
    'ingest-seconds': { type: 'string', default: '15' },
    batch: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '64' },
    'build-events': { type: 'string', default: '2000000' },
    'build-new': { type: 'string', default: '20000' },
    'build-tenants': { type: 'string', default: '100' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const TENANTS = Number(args.tenants);
const INGEST_SECONDS = Number(args['ingest-seconds']);
const BATCH = Number(args.batch);
const CONNECTIONS = Number(args.connections);
const BUILD_EVENTS = Number(args['build-events']);
const TARGET_P95_MS = 100;
const TARGET_INCREMENTAL_SHARE = 0.1;
const SECRET = 'benchmark-secret-benchmark-secret-0123456789';
const MIX: [Flow, number][] = [['create-entity', 25], ['run-workflow', 25], ['policy-simulate', 25], ['provenance-fetch', 25]];
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const count = (n: number) => Math.round(n).toLocaleString('en-US');

interface ShapeResult {
  replicas: number;
  flows: Map<string, { p50: number; p95: number; p99: number; errors: number; requests: number }>;
  achieved: number;
  eventsPerSecond: number;
  batch: { p50: number; p95: number; p99: number };
  ingestErrors: number;
  /** What ClickHouse did during the API window, and each replica's CPU in it. */
  clickhouse: ClickHouseWork;
  replicaCpu: number[];
  /** The worst 1% of the writes (create-entity, run-workflow) and the requests around their median, by Server-Timing. */
  tail: ReturnType<typeof tailBands>;
}

type ApiResult = Pick<ShapeResult, 'replicas' | 'flows' | 'achieved' | 'clickhouse' | 'replicaCpu' | 'tail'>;
type IngestResult = Pick<ShapeResult, 'eventsPerSecond' | 'batch' | 'ingestErrors'>;

/** The API window: the gated flows at a constant arrival rate, with what ClickHouse and each replica did meanwhile. */
async function measureApi(processes: Platform[], balancer: LocalBalancer, tenants: TenantState[]): Promise<ApiResult> {
  const replicas = processes.length;
  const client = new Client(balancer.url, CONNECTIONS);
  try {
    // Every tenant needs a receipt for provenance-fetch before the loop starts.
    for (const t of tenants) {
      const error = await shot('create-entity', t, 0, client)();
      if (error) throw new Error(`setup through the balancer failed: ${error}`);
    }
    const sequence = weightedSequence(MIX, Math.round(RATE * (WARMUP + SECONDS))) as Flow[];
    const seen = new Map<Flow, number>();
    const loop = (from: number, seconds: number) => openLoop(RATE, seconds, (i) => {
      const flow = sequence[from + i]!;
      const n = seen.get(flow) ?? 0;
      seen.set(flow, n + 1);
      return { flow, ...timedShot(flow, tenants[n % TENANTS]!, n + 1, client) };
    });
    await mergesSettled(targets.url!, target.config.clickhouse!.database);
    await loop(0, WARMUP);
    const window = await clickHouseWindow(targets.url!, target.config.clickhouse!.database, targets.serverPid());
    const cpuBefore = await Promise.all(processes.map((p) => cpuSeconds(p.child.pid)));
    const result = await loop(Math.round(RATE * WARMUP), SECONDS);
    const clickhouse = await window.end();
    const replicaCpu = (await Promise.all(processes.map((p) => cpuSeconds(p.child.pid)))).map((cpu, i) => ((cpu ?? 0) - (cpuBefore[i] ?? 0)) / clickhouse.seconds);
    const flows = new Map([...result.flows].map(([flow, s]) => [flow, { ...percentiles(s.latencies), errors: s.errors, requests: s.requests }]));
    for (const [flow, s] of result.flows) for (const sample of s.errorSamples) console.log(`error (${replicas} replica${replicas > 1 ? 's' : ''}, ${flow}): ${sample}`);
    const requests = [...result.flows.values()].reduce((n, s) => n + s.requests, 0);
    const tail = tailBands((['create-entity', 'run-workflow'] as const).flatMap((flow) => (result.flows.get(flow) ? [result.flows.get(flow)!] : [])));
    return { replicas, flows, achieved: requests / result.seconds, clickhouse, replicaCpu, tail };
  } finally {
    client.close();
  }
}

/** Ingest: closed loop, batches of BATCH events through the balancer. */
async function measureIngest(replicas: number, balancer: LocalBalancer, tenants: TenantState[], offset: { events: number }): Promise<IngestResult> {
  const client = new Client(balancer.url, CONNECTIONS);
  try {
    await mergesSettled(targets.url!, target.config.clickhouse!.database);
    const batchMs: number[] = [];
    let events = 0;
    let ingestErrors = 0;
    const deadline = performance.now() + INGEST_SECONDS * 1000;
    const started = performance.now();
    await Promise.all(Array.from({ length: Math.min(CONNECTIONS, 16) }, async (_, w) => {
      while (performance.now() < deadline) {
        const tenant = tenants[w % TENANTS]!;
        const first = offset.events;
        offset.events += BATCH;
        const body = JSON.stringify(Array.from({ length: BATCH }, (_, i) => benchmarkEvent(first + i, tenant.name)));
        const sent = performance.now();
        const reply = await client.call('POST', '/v1/events', tenant.ops, body);
        batchMs.push(performance.now() - sent);
        if (reply.status === 202) events += BATCH;
        else if (ingestErrors++ < 3) console.log(`ingest error (${replicas}): ${reply.status} ${reply.body.slice(0, 300)}`);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    return { eventsPerSecond: events / seconds, batch: percentiles(batchMs), ingestErrors };
  } finally {
    client.close();
  }
}

function printReport(one: ShapeResult, two: ShapeResult): void {
  const header = ['flow', '1 replica p50/p95/p99 ms', '2 replicas p50/p95/p99 ms', 'p95 2÷1', 'errors 1 / 2', `p95 ≤ ${TARGET_P95_MS} ms (2 replicas)`];
  const rows = MIX.map(([flow]) => {
    const [a, b] = [one.flows.get(flow)!, two.flows.get(flow)!];
    return [flow, `${fmt(a.p50)}/${fmt(a.p95)}/${fmt(a.p99)}`, `${fmt(b.p50)}/${fmt(b.p95)}/${fmt(b.p99)}`, `${fmt(b.p95 / a.p95, 2)}×`, `${a.errors} / ${b.errors}`,
      b.p95 <= TARGET_P95_MS && b.errors === 0 ? 'PASS' : 'MISS'];
  });
  rows.push(['ingest events/s', `${count(one.eventsPerSecond)} (batch p95 ${fmt(one.batch.p95)} ms)`, `${count(two.eventsPerSecond)} (batch p95 ${fmt(two.batch.p95)} ms)`,
    `${fmt(two.eventsPerSecond / one.eventsPerSecond, 2)}×`, `${one.ingestErrors} / ${two.ingestErrors}`, '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  console.log([header, ...rows].map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n'));
  console.log(`achieved: ${fmt(one.achieved)} req/s (1 replica), ${fmt(two.achieved)} req/s (2 replicas) of ${RATE} offered`);
  for (const shape of [one, two]) {
    console.log(`during the API window, ${shape.replicas} replica${shape.replicas > 1 ? 's' : ''}: CPU ${shape.replicaCpu.map((c) => c.toFixed(2)).join(' + ')} cores; ClickHouse ${describeWork(shape.clickhouse)}`);
  }
  for (const shape of [one, two]) {
    const { tail, median } = shape.tail;
    const largest = largestPart(tail);
    console.log(`worst 1% of the writes, ${shape.replicas} replica${shape.replicas > 1 ? 's' : ''} (${count(tail.requests)} requests, ≥ ${fmt(tail.fromMs)} ms): ${describeBand(tail)}; most on ${largest.part} (${fmt(100 * largest.share)}%)`);
    console.log(`  around their median: ${describeBand(median)}`);
  }
  const summary: Record<string, unknown> = { benchmark: 'scale-out', rate: RATE, seconds: SECONDS };
  for (const shape of [one, two]) {
    for (const [flow, p] of shape.flows) Object.assign(summary, { [`r${shape.replicas}_${flow}_p95_ms`]: Number(fmt(p.p95, 2)), [`r${shape.replicas}_${flow}_errors`]: p.errors });
    summary[`r${shape.replicas}_ingest_events_per_s`] = Math.round(shape.eventsPerSecond);
  }
  console.log(JSON.stringify(summary));
}

console.log(`scale-out: ${TENANTS} tenants, ${RATE} req/s for ${SECONDS} s after ${WARMUP} s warm-up (${MIX.map(([f]) => f).join(', ')}), then ingest for ${INGEST_SECONDS} s in batches of ${BATCH}; 1 replica, then 2, behind HAProxy`);
const haproxy = ensureHaproxy((line) => console.log(line));
if ('missing' in haproxy) throw new Error(`the scale-out benchmark needs HAProxy: ${haproxy.missing}`);
const pgBin = ensurePostgres((line) => console.log(line));
if ('missing' in pgBin) throw new Error(`the scale-out benchmark needs PostgreSQL's server: ${pgBin.missing}`);
const targets = await TargetFactory.create('clickhouse');
const target = await targets.target();
let postgres: LocalPostgres | undefined;
const replicas: Platform[] = [];
let balancer: LocalBalancer | undefined;
let secondDir: string | undefined;
try {
  postgres = await startLocalPostgres(pgBin.binary, 30_000, { durable: true });
  const env = { ...target.env, COMPANYOS_JWT_SECRET: SECRET, COMPANYOS_STATE_URL: postgres.url, COMPANYOS_SERVER_TIMING: 'true' };
  replicas.push(await startPlatform(env));
  const authority = new TokenAuthority(SECRET);
  const tenants: TenantState[] = await Promise.all(Array.from({ length: TENANTS }, async (_, t) => {
    const name = `bench-t${String(t).padStart(2, '0')}`;
    return { name, ops: await authority.mint({ tenant: name, roles: ['operator', 'writer'], subject: 'ops', env: 'dev', region: 'local' }), approver: '', grantTargets: [], grantSubjects: [], approvalPool: [], receipts: [] };
  }));
  const offset = { events: 0 };
  const address = (p: Platform) => new URL(p.url).host;
  // Both API windows first, then both ingests, each phase once ClickHouse merges nothing: an ingest leaves it merging its
  // parts for a while, and the window after it would pay for that (the 2-replica one did, at ~0.25 of a core), not for
  // its replicas. Replica 2 stays up, idle, through the 1-replica ingest.
  const alone = () => startLocalBalancer(haproxy.binary, [address(replicas[0]!), address(replicas[0]!)]);
  balancer = await alone();
  const apiOne = await measureApi(replicas.slice(0, 1), balancer, tenants);
  await balancer.stop();

  secondDir = await mkdtemp(join(tmpdir(), 'companyos-bench-replica-'));
  await cp(join(target.dataDir, 'keys'), join(secondDir, 'keys'), { recursive: true });
  replicas.push(await startPlatform({ ...env, COMPANYOS_DATA_DIR: secondDir }));
  balancer = await startLocalBalancer(haproxy.binary, replicas.map(address));
  const apiTwo = await measureApi(replicas, balancer, tenants);
  await balancer.stop();

  balancer = await alone();
  const one: ShapeResult = { ...apiOne, ...(await measureIngest(1, balancer, tenants, offset)) };
  await balancer.stop();
  balancer = await startLocalBalancer(haproxy.binary, replicas.map(address));
  const two: ShapeResult = { ...apiTwo, ...(await measureIngest(2, balancer, tenants, offset)) };
  printReport(one, two);
  for (const replica of replicas) if (replica.died) console.log(`WARNING: ${replica.died}`);
} finally {
  await balancer?.stop();
  for (const replica of replicas) await stopPlatform(replica.child);
  await postgres?.stop();
  await target.dispose();
  await targets.close();
  if (secondDir) await rm(secondDir, { recursive: true, force: true });
}

if (BUILD_EVENTS > 0) {
  const build = await measureClusterBuild(BUILD_EVENTS, Number(args['build-new']), Number(args['build-tenants']));
  const share = build.incrementalSeconds / build.fullSeconds;
  console.log(`builds on 2 shards × 2 replicas, ${count(build.events)} events, then ${count(build.newEvents)} new:`);
  console.log(`  baseline: one grouped scan of the events ${fmt(build.scanSeconds, 2)} s`);
  console.log(`  full build ${fmt(build.fullSeconds, 2)} s (${fmt(build.fullSeconds / build.scanSeconds)}× the scan)`);
  console.log(`  incremental build with nothing new ${fmt(build.idleSeconds, 2)} s = ${fmt((100 * build.idleSeconds) / build.fullSeconds)}% of the full one`);
  console.log(`  incremental build ${fmt(build.incrementalSeconds, 2)} s = ${fmt(100 * share)}% of the full one (target ≤ ${100 * TARGET_INCREMENTAL_SHARE}%: ${share <= TARGET_INCREMENTAL_SHARE ? 'PASS' : 'MISS'}); ${build.unchangedIncremental} of ${build.models} models left as they were`);
  console.log(`  slowest models, incremental: ${build.slowestIncremental}`);
  console.log(JSON.stringify({ benchmark: 'scale-out-cluster-build', events: build.events, new_events: build.newEvents, scan_s: Number(fmt(build.scanSeconds, 2)),
    full_build_s: Number(fmt(build.fullSeconds, 2)), idle_build_s: Number(fmt(build.idleSeconds, 2)), incremental_build_s: Number(fmt(build.incrementalSeconds, 2)), incremental_share: Number(share.toFixed(3)) }));
}
