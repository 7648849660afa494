/**
 * RevOps lead intake and routing throughput, in one run.
 *
 *   npm run bench:revops -- [--leads 20000] [--batch 1000] [--concurrency 2]
 *
 * 1. Reference: the same leads normalized, spam-checked and matched in this process (the
 *    intake's own work, without the API, the store, receipts or metering).
 * 2. Baseline, HTTP intake without routing: the real platform (`companyos start --no-seed`,
 *    DuckDB, fresh data dir) as its own process; this process posts `POST /v1/revops/leads:batch`
 *    over loopback with `concurrency` batches in flight, into a tenant with no routing policy.
 *    Each lead is stored, judged (new, duplicate, parked), receipted (one receipt per batch) and metered.
 * 3. HTTP intake + routing: the same leads, on the same platform, into a tenant whose routing policy
 *    was published through its governed workflow: each new lead is also routed, with a routing
 *    receipt of its own and a `revops.lead.routed` event.
 * Prints leads/s and p50/p95/p99 per batch for each, and the routed run as a share of the baseline.
 * Issue 19's target: ≥ 2,000 leads/s routed with receipts.
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

/** A routing policy over four pools, published through the governed workflow (request, approve, execute) like an operator would. */
async function publishPolicy(agent: Agent, base: string, authority: TokenAuthority, tenant: string): Promise<void> {
  const policy = {
    pools: {
      founders: { strategy: 'round-robin', members: [{ id: 'ceo' }] },
      emea: { strategy: 'round-robin', members: ['ana', 'ben', 'chi', 'dev'].map((id) => ({ id })) },
      na: { strategy: 'lowest-open', members: [{ id: 'eve', weight: 2 }, { id: 'fay' }, { id: 'gus', capacity: 100_000 }] },
      partners: { strategy: 'round-robin', members: [{ id: 'pam' }, { id: 'pia' }] },
    },
    rules: [
      { id: 'strategic', when: { all: [{ field: 'arr_band', eq: '5m+' }, { field: 'icp_score', gte: 80 }] }, pool: 'founders' },
      { id: 'partner', when: { field: 'source', eq: 'partner_referral' }, pool: 'partners' },
      { id: 'emea', when: { field: 'region', eq: 'emea' }, pool: 'emea' },
      { id: 'default', pool: 'na' },
    ],
  };
  const as = async (subject: string, role: 'operator' | 'approver') => authority.mint({ tenant, roles: [role], subject });
  const send = async (token: string, path: string, body?: object) => {
    const reply = await post(agent, new URL(path, base), token, Buffer.from(JSON.stringify(body ?? {})));
    if (reply.status >= 300) throw new Error(`POST ${path} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
    return JSON.parse(reply.body) as { run_id: string; status: string };
  };
  const reason = { category: 'territory-change', text: 'benchmark routing policy for four pools' };
  const run = await send(await as('rev-ops', 'operator'), '/v1/workflows/types/revops-routing-policy/runs', { rationale: reason, params: { policy } });
  await send(await as('sales-lead', 'approver'), `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: reason });
  const done = await send(await as('sre', 'operator'), `/v1/workflows/runs/${run.run_id}/execute`);
  if (done.status !== 'succeeded') throw new Error(`publishing the routing policy ended ${done.status}`);
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

/** Posts every batch into `tenant`, `CONCURRENCY` in flight; counts what each lead became. */
async function intake(agent: Agent, url: string, token: string, leads: readonly GeneratedLead[], name: string): Promise<Measurement & { statuses: Record<string, number> }> {
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
      for (const lead of (JSON.parse(reply.body) as { leads: { status: string; routing: { assignee: string | null } | null }[] }).leads) {
        const judged = lead.routing?.assignee ? 'routed' : lead.status;
        statuses[judged] = (statuses[judged] ?? 0) + 1;
      }
    }
  }));
  return { name, events: leads.length, seconds: (performance.now() - started) / 1000, batchMs, statuses };
}

/** Intake alone into one tenant, then intake + routing into another whose policy is published, on one platform process. */
async function overHttp(leads: readonly GeneratedLead[]): Promise<(Measurement & { statuses: Record<string, number> })[]> {
  const targets = await TargetFactory.create('duckdb');
  const target = await targets.target();
  const { url, child } = await spawnPlatform({ ...target.env, COMPANYOS_JWT_SECRET: SECRET });
  try {
    const authority = new TokenAuthority(SECRET);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const what = `batches of ${BATCH}, ${CONCURRENCY} in flight`;
    const plain = await intake(agent, url, await authority.mint({ tenant: 'bench-plain', roles: ['writer'] }), leads, `HTTP intake, no routing policy (baseline), ${what}`);
    await publishPolicy(agent, url, authority, 'bench-routed');
    const routed = await intake(agent, url, await authority.mint({ tenant: 'bench-routed', roles: ['writer'] }), leads, `HTTP intake + routing with receipts, ${what}`);
    agent.destroy();
    return [plain, routed];
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await target.dispose();
    await targets.close();
  }
}

console.log(`revops: ${N.toLocaleString('en-US')} generated leads (3% near-duplicates, 2% spam), batches of ${BATCH}`);
const leads = generateLeads(N);
const reference = matcherAlone(leads);
const [plain, routed] = await overHttp(leads);
console.log(report([plain!, routed!, reference]).replaceAll('events', 'leads'));
console.log(`judged (routed run): ${Object.entries(routed!.statuses).map(([status, n]) => `${n.toLocaleString('en-US')} ${status}`).join(', ')}`);
console.log(`intake + routing = ${((100 * throughput(routed!)) / throughput(plain!)).toFixed(1)}% of intake alone (${Math.round(throughput(routed!)).toLocaleString('en-US')} vs ${Math.round(throughput(plain!)).toLocaleString('en-US')} leads/s); target ≥ 2,000 leads/s routed`);
console.log(JSON.stringify({
  benchmark: 'revops', leads: N, batch: BATCH, intake_leads_per_s: Math.round(throughput(plain!)), routed_leads_per_s: Math.round(throughput(routed!)),
  matcher_leads_per_s: Math.round(throughput(reference)),
}));
