import type { FastifyInstance } from 'fastify';
import { policyFileTexts } from '../../../kernel/policies/index.ts';
import { SeededRandom } from '../../../kernel/random/index.ts';
import type { Role } from '../../../platform/identity/index.ts';
import type { AdjustableClock, WorkflowEngine } from '../../../platform/workflows/index.ts';
import type { PolicyActivations } from '../../../platform/governance/index.ts';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const ACCESS_REQUESTS = 28;
/** The newest requests are left waiting for an approver. */
const LEFT_PENDING = 2;

export interface WorkflowDemoServices {
  clock: AdjustableClock;
  workflows: WorkflowEngine;
  policies: PolicyActivations;
  /** A token of the operator's tenant for `subject` with `roles`. */
  mint(subject: string, roles: Role[]): Promise<string>;
  /** The warehouse seeded: on ClickHouse the demo leaves the drill out. */
  warehouse?: { engine: string };
}

/**
 * The High-Risk Ops half of the demo: a week of real governed runs in summit-internal, requested,
 * approved (or denied) and executed through the API with the platform's clock set back to when
 * each happened — so the leadership page's high-risk, approval-latency and workflow panels show
 * what the engine did. Grants whose time is up are revoked (receipted), and the requests left waiting past
 * their SLA reported, before the server listens.
 */
export async function seedDemoWorkflows(app: FastifyInstance, services: WorkflowDemoServices): Promise<string> {
  const { clock } = services;
  const random = new SeededRandom(18);
  const token = async (subject: string, role: Role) => services.mint(subject, [role]);
  const [requesters, approvers, executors, admin] = await Promise.all([
    Promise.all(['oncall-ana', 'oncall-ben', 'oncall-chi'].map((s) => token(s, 'operator'))),
    Promise.all(['lead-dev', 'lead-sec'].map((s) => token(s, 'approver'))),
    Promise.all(['sre-eve', 'sre-fay'].map((s) => token(s, 'operator'))),
    token('cto-gus', 'admin'),
  ]);
  const call = async (bearer: string, url: string, payload?: object): Promise<{ run_id: string; status: string }> => {
    const response = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${bearer}` }, ...(payload ? { payload } : {}) });
    if (response.statusCode >= 300) throw new Error(`seeding the demo workflows: POST ${url} answered ${response.statusCode}: ${response.body}`);
    return response.json();
  };
  const weekAgo = Date.now() - 7 * 24 * HOUR;
  let runs = 0;
  try {
    for (let i = 0; i < ACCESS_REQUESTS; i += 1) {
      const requestedAt = weekAgo + i * 6 * HOUR + random.int(0, 90) * MINUTE;
      clock.set(new Date(requestedAt));
      const ticket = `INC-${4100 + i}`;
      const run = await call(random.pick(requesters), '/v1/workflows/types/temporary-access/runs', {
        rationale: { category: random.weighted([['incident', 5], ['support', 3], ['investigation', 2]] as const), text: `${ticket}: read production data to diagnose the customer's report` },
        params: { grantee: random.pick(['support-ivy', 'support-jon', 'analyst-kim']), role: random.weighted([['reader', 5], ['auditor', 2], ['operator', 1]] as const), duration_minutes: random.pick([15, 30, 60, 120]) },
      });
      runs += 1;
      if (i >= ACCESS_REQUESTS - LEFT_PENDING) continue;
      clock.set(new Date(requestedAt + Math.max(MINUTE, random.latency(12 * MINUTE))));
      const deny = random.next() < 0.12;
      await call(random.pick(approvers), `/v1/workflows/runs/${run.run_id}/approvals`, {
        decision: deny ? 'deny' : 'approve',
        rationale: { category: 'incident', text: deny ? `${ticket}: the logs answer this; no data access needed` : `${ticket}: scope and duration fit the incident` },
      });
      if (deny) continue;
      clock.set(new Date(clock.now().getTime() + random.int(1, 10) * MINUTE));
      await call(random.pick(executors), `/v1/workflows/runs/${run.run_id}/execute`);
    }
    // A policy change the security lead denied after reading its replay, and a key rotation awaiting approval.
    clock.set(new Date(weekAgo + 3 * 24 * HOUR));
    const files = { ...policyFileTexts(services.policies.current), 'demo-freeze.cedar': '@id("demo-change-freeze")\nforbid (principal, action == CompanyOS::Action::"run_transforms", resource)\nwhen { context.env == "prod" };\n' };
    const change = await call(requesters[0]!, '/v1/workflows/types/policy-change/runs', { rationale: { category: 'change', text: 'freeze model builds in prod during the quarter close' }, params: { files } });
    clock.set(new Date(clock.now().getTime() + 3 * HOUR));
    await call(approvers[1]!, `/v1/workflows/runs/${change.run_id}/approvals`, { decision: 'deny', rationale: { category: 'change', text: 'the replay shows scheduled builds this would stop; use a schedule pause' } });
    // Yesterday's DR drill: a real backup of this database, restored into scratch and validated, without rebuilding
    // the models (`companyos restore` does). On ClickHouse a real FREEZE backup and restore of the seeded server made
    // `npm start` half again as slow under load: the demo leaves it out there (a drill runs there when requested).
    clock.set(new Date(Date.now() - 26 * HOUR));
    const drill = services.warehouse?.engine === 'clickhouse'
      ? undefined
      : await call(requesters[1]!, '/v1/workflows/types/dr-drill/runs', { rationale: { category: 'drill', text: 'monthly restore drill of the production backup' }, params: { models: false } });
    // Where the stores cannot be backed up the drill stops at preflight.
    if (drill?.status === 'awaiting-approval') {
      clock.set(new Date(clock.now().getTime() + 20 * MINUTE));
      await call(approvers[1]!, `/v1/workflows/runs/${drill.run_id}/approvals`, { decision: 'approve', rationale: { category: 'drill', text: 'drill window agreed with the on-call team' } });
      await call(executors[0]!, `/v1/workflows/runs/${drill.run_id}/execute`);
    }
    clock.set(new Date(Date.now() - 2 * HOUR));
    await call(admin, '/v1/workflows/types/ledger-key-rotation/runs', { rationale: { category: 'security', text: 'quarterly rotation of the ledger signing key' } });
    runs += drill ? 3 : 2;
  } finally {
    clock.reset();
  }
  const revoked = await services.workflows.expireLeases();
  await services.workflows.reportSlaBreaches();
  return `${runs} governed High-Risk Ops runs over the past week (temporary access, a policy change, ${services.warehouse?.engine === 'clickhouse' ? '' : 'a DR drill, '}a key rotation), ${revoked.length} grants revoked at expiry`;
}
