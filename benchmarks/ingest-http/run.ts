/**
 * Ingest throughput over HTTP, against the direct-adapter baseline, in one run.
 *
 *   npm run bench:ingest-http -- [--events 1000000] [--batch 1000] [--concurrency 4] [--warehouse duckdb,clickhouse]
 *
 * 1. Baselines: the same events, already turned into rows, written straight
 *    through the warehouse adapter (`insertUnique`, batch by batch) in this process; on DuckDB also
 *    written by a bare appender (the engine's ceiling); and the request bodies parsed (`JSON.parse`) only.
 * 2. HTTP: the real platform (`companyos start`) runs as its own process on a
 *    fresh data dir; this process posts pre-serialized batches over loopback
 *    with keep-alive and `concurrency` requests in flight.
 * Prints events/s and p50/p95/p99 per batch for each, and HTTP as a share of each baseline,
 * for each engine named (ClickHouse: COMPANYOS_CLICKHOUSE_URL, or a local server started for the run).
 */
import type { ChildProcess } from 'node:child_process';
import { spawnPlatform } from '../lib/platform-process.ts';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { TokenAuthority } from '../../platform/identity/index.ts';
import type { EngineName } from '../../kernel/warehouse/index.ts';
import { report, throughput, type Measurement } from '../lib/stats.ts';
import { directAdapterBaseline } from '../lib/baseline.ts';
import { bareAppenderBaseline, jsonParseBaseline } from '../lib/bare-appender.ts';
import { benchmarkEvent } from '../lib/events.ts';
import type { ScratchWarehouse } from '../../dev/index.ts';
import { parseEngines, TargetFactory } from '../lib/targets.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    warehouse: { type: 'string', default: 'duckdb' },
  },
});
const N = Number(args.events);
const BATCH = Number(args.batch);
const CONCURRENCY = Number(args.concurrency);
const ENGINE_NAMES = parseEngines(args.warehouse!);
const TENANT = 'bench-tenant';
const SECRET = 'benchmark-secret-benchmark-secret-0123456789';

function batches(): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < N; start += BATCH) out.push(Array.from({ length: Math.min(BATCH, N - start) }, (_, i) => start + i));
  return out;
}

function startPlatform(target: ScratchWarehouse): Promise<{ url: string; child: ChildProcess }> {
  return spawnPlatform({ ...target.env, COMPANYOS_JWT_SECRET: SECRET });
}

function post(agent: Agent, url: URL, token: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents-batch+json', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function overHttp(engine: EngineName, target: ScratchWarehouse, bodies: readonly Buffer[]): Promise<Measurement> {
  const { url, child } = await startPlatform(target);
  try {
    const token = await new TokenAuthority(SECRET).mint({ tenant: TENANT, roles: ['writer'] });
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const target = new URL('/v1/events', url);
    const batchMs: number[] = [];
    let next = 0;
    let accepted = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const sent = performance.now();
          const response = await post(agent, target, token, body);
          batchMs.push(performance.now() - sent);
          if (response.status !== 202) throw new Error(`POST answered ${response.status}: ${response.body.slice(0, 200)}`);
          accepted += (JSON.parse(response.body) as { accepted: number }).accepted;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    if (accepted !== N) throw new Error(`the platform accepted ${accepted} of ${N} events`);
    return { name: `HTTP POST /v1/events (${engine}, concurrency ${CONCURRENCY})`, events: N, seconds, batchMs };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await target.dispose();
  }
}

console.log(`ingest-http: ${N.toLocaleString('en-US')} events in batches of ${BATCH}, warehouse ${ENGINE_NAMES.join(' and ')}`);
const bodies = batches().map((indexes) => Buffer.from(JSON.stringify(indexes.map((i) => benchmarkEvent(i, TENANT)))));
const parseOnly = jsonParseBaseline(bodies, N);
const measurements: Measurement[] = [parseOnly];
const summaries: Record<string, unknown>[] = [];
for (const engine of ENGINE_NAMES) {
  const targets = await TargetFactory.create(engine);
  try {
    const appender = engine === 'duckdb' ? await bareAppenderBaseline(await targets.target(), N, BATCH, TENANT) : undefined;
    const direct = await directAdapterBaseline(engine, await targets.target(), N, BATCH, TENANT);
    const http = await overHttp(engine, await targets.target(), bodies);
    measurements.push(...(appender ? [appender] : []), direct, http);
    const ratio = throughput(http) / throughput(direct);
    summaries.push({
      benchmark: 'ingest-http', engine, events: N, batch: BATCH, concurrency: CONCURRENCY,
      http_events_per_s: Math.round(throughput(http)), direct_events_per_s: Math.round(throughput(direct)), ratio: Number(ratio.toFixed(3)),
      ...(appender ? { appender_events_per_s: Math.round(throughput(appender)), appender_ratio: Number((throughput(http) / throughput(appender)).toFixed(3)) } : {}),
      parse_events_per_s: Math.round(throughput(parseOnly)), parse_ratio: Number((throughput(http) / throughput(parseOnly)).toFixed(3)),
    });
  } finally {
    await targets.close();
  }
}
console.log(report(measurements));
for (const summary of summaries) {
  const share = (ratio: unknown) => `${((ratio as number) * 100).toFixed(1)}%`;
  console.log(`${summary.engine}: HTTP throughput is ${share(summary.ratio)} of the direct-adapter baseline${summary.appender_ratio === undefined ? '' : `, ${share(summary.appender_ratio)} of the bare appender (target ≥ 25%)`} and ${share(summary.parse_ratio)} of JSON.parse alone, measured in this run; target 200,000 events/s.`);
}
for (const summary of summaries) console.log(JSON.stringify(summary));
