/**
 * RevOps lead intake throughput, against the matcher alone, in one run.
 *
 *   npm run bench:revops -- [--leads 20000] [--batch 1000] [--concurrency 2]
 *
 * 1. Baseline: the same leads normalized, spam-checked and matched in this process (the
 *    intake's own work, without the API, the store, receipts or metering).
 * 2. HTTP: the real platform (`companyos start --no-seed`, DuckDB, fresh data dir) as its own
 *    process; this process posts `POST /v1/revops/leads:batch` over loopback with `concurrency`
 *    batches in flight (one tenant: a tenant's intakes run one at a time).
 * Prints leads/s and p50/p95/p99 per batch for both, and HTTP as a share of the baseline. Each lead is
 * stored, judged (new, duplicate, parked), receipted (one receipt per batch) and metered.
 * Routing is not built yet: issue 19's target (≥ 2,000 leads/s routed with receipts) is for routed leads.
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { TokenAuthority } from '../../platform/identity/index.ts';
import { DuplicateIndex, normalizeLead } from '../../packs/revops/index.ts';
import { generateLeads, type GeneratedLead } from '../../test/support/lead-set.ts';
import { spawnPlatform } from '../lib/platform-process.ts';
import { report, throughput, type Measurement } from '../lib/stats.ts';
import { TargetFactory } from '../lib/targets.ts';

const { values: args } = parseArgs({
  options: {
    leads: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '2' },
  },
});
const N = Number(args.leads);
const BATCH = Number(args.batch);
const CONCURRENCY = Number(args.concurrency);
const SECRET = 'benchmark-secret-benchmark-secret-0123456789';

const wire = (leads: readonly GeneratedLead[]) => leads.map(({ truth: _truth, ...lead }) => ({ ...lead, source: 'partner_referral' as const }));

function matcherAlone(leads: readonly GeneratedLead[]): Measurement {
  const index = new DuplicateIndex();
  const batchMs: number[] = [];
  const started = performance.now();
  for (let i = 0; i < leads.length; i += BATCH) {
    const t = performance.now();
    for (const lead of leads.slice(i, i + BATCH)) {
      const normalized = normalizeLead({ email: lead.email, phone: lead.phone, firstName: lead.first_name, lastName: lead.last_name, company: lead.company, country: lead.country });
      if (!index.match(normalized)) index.add({ id: lead.id, ...normalized });
    }
    batchMs.push(performance.now() - t);
  }
  return { name: 'normalize + match, in process (baseline)', events: leads.length, seconds: (performance.now() - started) / 1000, batchMs };
}

function post(agent: Agent, url: URL, token: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function overHttp(leads: readonly GeneratedLead[]): Promise<Measurement & { statuses: Record<string, number> }> {
  const targets = await TargetFactory.create('duckdb');
  const target = await targets.target();
  const { url, child } = await spawnPlatform({ ...target.env, COMPANYOS_JWT_SECRET: SECRET });
  try {
    const token = await new TokenAuthority(SECRET).mint({ tenant: 'bench-revops', roles: ['writer'] });
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const bodies: Buffer[] = [];
    for (let i = 0; i < leads.length; i += BATCH) bodies.push(Buffer.from(JSON.stringify({ leads: wire(leads.slice(i, i + BATCH)) })));
    const batchMs: number[] = [];
    const statuses: Record<string, number> = {};
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const t = performance.now();
        const reply = await post(agent, new URL('/v1/revops/leads:batch', url), token, body);
        batchMs.push(performance.now() - t);
        if (reply.status !== 201) throw new Error(`POST /v1/revops/leads:batch answered ${reply.status}: ${reply.body.slice(0, 300)}`);
        for (const lead of (JSON.parse(reply.body) as { leads: { status: string }[] }).leads) statuses[lead.status] = (statuses[lead.status] ?? 0) + 1;
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    return { name: `HTTP intake, batches of ${BATCH}, ${CONCURRENCY} in flight`, events: leads.length, seconds, batchMs, statuses };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await target.dispose();
    await targets.close();
  }
}

console.log(`revops: ${N.toLocaleString('en-US')} generated leads (3% near-duplicates, 2% spam), batches of ${BATCH}`);
const leads = generateLeads(N);
const baseline = matcherAlone(leads);
const http = await overHttp(leads);
console.log(report([baseline, http]).replaceAll('events', 'leads'));
console.log(`judged: ${Object.entries(http.statuses).map(([status, n]) => `${n.toLocaleString('en-US')} ${status}`).join(', ')}`);
console.log(`HTTP intake = ${((100 * throughput(http)) / throughput(baseline)).toFixed(1)}% of the matcher alone (${Math.round(throughput(http)).toLocaleString('en-US')} vs ${Math.round(throughput(baseline)).toLocaleString('en-US')} leads/s)`);
console.log(JSON.stringify({ benchmark: 'revops', leads: N, batch: BATCH, baseline_leads_per_s: Math.round(throughput(baseline)), http_leads_per_s: Math.round(throughput(http)) }));
