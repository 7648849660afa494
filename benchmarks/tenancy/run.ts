/**
 * Noisy neighbour: does one tenant flooding ingest move another tenant's latency?
 *
 *   npm run bench:noisy-neighbour -- [--seconds 40] [--quiet-rate 20] [--quiet-batch 100] [--flood-connections 8] [--flood-batch 1000]
 *                                    [--quotas requests=2000,ingest-events=20000]
 *
 * The real platform (`companyos start --no-seed`, DuckDB, fresh data dir) as its own process, twice: with `--quotas`
 * (COMPANYOS_TENANT_QUOTAS) and with quotas off (the baseline). Each time the quiet tenant posts batches of
 * `--quiet-batch` events at `--quiet-rate` requests/s (open loop) for `--seconds`, first alone, then while the noisy
 * tenant floods: `--flood-connections` connections each posting batches of `--flood-batch` events back to back, whatever
 * the answer. Prints the quiet tenant's p50/p95/p99 alone and under the flood, the p95 ratio (target: ≤ 1.2 with quotas),
 * and what the flood got in (events/s stored, requests/s refused).
 */
import { parseArgs } from 'node:util';
import { TokenAuthority } from '../../platform/identity/index.ts';
import { percentiles } from '../lib/stats.ts';
import { TargetFactory } from '../lib/targets.ts';
import { openLoop } from '../api-flows/open-loop.ts';
import { Client, startPlatform, stopPlatform } from '../api-flows/platform.ts';

const { values: args } = parseArgs({
  options: {
    // 15 s windows (~300 of the quiet tenant's requests a phase) put the p95 ratio anywhere in 0.98–1.59× for one build.
    seconds: { type: 'string', default: '40' },
    'quiet-rate': { type: 'string', default: '20' },
    'quiet-batch': { type: 'string', default: '100' },
    'flood-connections': { type: 'string', default: '8' },
    'flood-batch': { type: 'string', default: '1000' },
    quotas: { type: 'string', default: 'requests=2000,ingest-events=20000' },
  },
});
const SECONDS = Number(args.seconds);
const QUIET_RATE = Number(args['quiet-rate']);
const QUIET_BATCH = Number(args['quiet-batch']);
const FLOOD_CONNECTIONS = Number(args['flood-connections']);
const FLOOD_BATCH = Number(args['flood-batch']);
const SECRET = 'benchmark-secret-benchmark-secret-0123456789';
const TARGET_RATIO = 1.2;

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const batchOf = (tenant: string, run: string, from: number, size: number) =>
  JSON.stringify(Array.from({ length: size }, (_, i) => ({
    specversion: '1.0', id: `${run}-${from + i}`, source: '/bench/noisy', type: 'bench.usage', tenantid: tenant, policyversion: 'v1', data: { units: 1 },
  })));

interface Phase {
  quiet: ReturnType<typeof percentiles>;
  quietErrors: number;
  flood?: { stored: number; refused: number; failed: number; seconds: number };
}

async function quietLoop(client: Client, token: string, run: string): Promise<{ latencies: number[]; errors: number }> {
  let next = 0;
  const result = await openLoop(QUIET_RATE, SECONDS, () => ({
    flow: 'quiet',
    shot: async () => {
      const from = next;
      next += QUIET_BATCH;
      const reply = await client.call('POST', '/v1/events', token, batchOf('quiet', run, from, QUIET_BATCH));
      return reply.status === 202 ? undefined : `${reply.status}: ${reply.body.slice(0, 200)}`;
    },
  }));
  const samples = result.flows.get('quiet')!;
  return { latencies: samples.latencies, errors: samples.errors };
}

/** `connections` clients posting back to back until `until`; what went in and what was refused. */
async function flood(client: Client, token: string, until: number): Promise<NonNullable<Phase['flood']>> {
  let sent = 0;
  const counts = { stored: 0, refused: 0, failed: 0 };
  const started = performance.now();
  await Promise.all(Array.from({ length: FLOOD_CONNECTIONS }, async () => {
    while (performance.now() < until) {
      const from = sent;
      sent += FLOOD_BATCH;
      const reply = await client.call('POST', '/v1/events', token, batchOf('noisy', 'flood', from, FLOOD_BATCH));
      if (reply.status === 202) counts.stored += FLOOD_BATCH;
      else if (reply.status === 429) counts.refused++;
      else counts.failed++;
    }
  }));
  return { ...counts, seconds: (performance.now() - started) / 1000 };
}

async function measure(quotas: string): Promise<{ alone: Phase; flooded: Phase }> {
  const targets = await TargetFactory.create('duckdb');
  const target = await targets.target();
  const platform = await startPlatform({ ...target.env, COMPANYOS_JWT_SECRET: SECRET, COMPANYOS_TENANT_QUOTAS: quotas });
  const quietClient = new Client(platform.url, 16);
  const floodClient = new Client(platform.url, FLOOD_CONNECTIONS);
  try {
    const authority = new TokenAuthority(SECRET);
    const mint = (tenant: string) => authority.mint({ tenant, roles: ['writer'], subject: `${tenant}-sender`, env: 'dev', region: 'local' });
    const [quiet, noisy] = await Promise.all([mint('quiet'), mint('noisy')]);
    // Warm-up: both tenants' first writes (tables, caches) out of the measurement.
    await quietClient.call('POST', '/v1/events', quiet, batchOf('quiet', 'warm', 0, QUIET_BATCH));
    await floodClient.call('POST', '/v1/events', noisy, batchOf('noisy', 'warm', 0, FLOOD_BATCH));
    const alone = await quietLoop(quietClient, quiet, 'alone');
    const [flooded, floodResult] = await Promise.all([
      quietLoop(quietClient, quiet, 'flooded'),
      flood(floodClient, noisy, performance.now() + SECONDS * 1000),
    ]);
    if (platform.died) throw new Error(platform.died);
    return {
      alone: { quiet: percentiles(alone.latencies), quietErrors: alone.errors },
      flooded: { quiet: percentiles(flooded.latencies), quietErrors: flooded.errors, flood: floodResult },
    };
  } finally {
    quietClient.close();
    floodClient.close();
    await stopPlatform(platform.child);
    await target.dispose();
    await targets.close();
  }
}

console.log(`noisy-neighbour: quiet tenant ${QUIET_RATE} req/s × ${QUIET_BATCH} events for ${SECONDS} s, alone then beside a flood of ${FLOOD_CONNECTIONS} connections × ${FLOOD_BATCH}-event batches`);
const runs: [string, string][] = [[`quotas ${args.quotas}`, args.quotas!], ['quotas off (baseline)', 'off']];
const results: Record<string, number> = {};
console.log('config                                            quiet p50/p95/p99 alone (ms)  under flood (ms)        p95 ratio  quiet errors  flood stored ev/s  flood 429/s  flood other');
for (const [label, quotas] of runs) {
  const { alone, flooded } = await measure(quotas);
  const ratio = flooded.quiet.p95 / alone.quiet.p95;
  const f = flooded.flood!;
  console.log(
    `${label.padEnd(50)}${`${fmt(alone.quiet.p50)}/${fmt(alone.quiet.p95)}/${fmt(alone.quiet.p99)}`.padEnd(30)}${`${fmt(flooded.quiet.p50)}/${fmt(flooded.quiet.p95)}/${fmt(flooded.quiet.p99)}`.padEnd(24)}` +
    `${`${fmt(ratio, 2)}×`.padEnd(11)}${String(alone.quietErrors + flooded.quietErrors).padEnd(14)}${Math.round(f.stored / f.seconds).toLocaleString('en-US').padEnd(19)}${fmt(f.refused / f.seconds, 0).padEnd(13)}${f.failed}`,
  );
  const key = quotas === 'off' ? 'off' : 'quotas';
  Object.assign(results, { [`${key}_alone_p95_ms`]: alone.quiet.p95, [`${key}_flooded_p95_ms`]: flooded.quiet.p95, [`${key}_p95_ratio`]: ratio, [`${key}_flood_stored_per_s`]: f.stored / f.seconds });
}
const met = results.quotas_p95_ratio! <= TARGET_RATIO;
console.log(`with quotas the quiet tenant's p95 moved ${fmt(results.quotas_p95_ratio!, 2)}× under the flood (target ≤ ${TARGET_RATIO}×): ${met ? 'PASS' : 'MISS'}; without quotas ${fmt(results.off_p95_ratio!, 2)}×`);
console.log(JSON.stringify({ benchmark: 'noisy-neighbour', seconds: SECONDS, ...results }));
