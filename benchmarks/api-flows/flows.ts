import { readFileSync } from 'node:fs';
import type { Shot } from './open-loop.ts';
import type { Caller, Reply } from './platform.ts';

/** Issue 23's six flows: the default mix, and the flows its targets are checked on. */
export const ISSUE_FLOWS = ['create-entity', 'grant-entitlement', 'approval', 'policy-simulate', 'provenance-fetch', 'run-workflow'] as const;
/**
 * Every flow the driver knows: the six, and `events-stats`, a gated read of the warehouse (a dashboard's; it writes the
 * events buffered in the platform first), offered beside them only when `--mix` names it: on DuckDB it shows what a
 * read does to the writes around it. No target is checked on it.
 */
export const FLOWS = [...ISSUE_FLOWS, 'events-stats'] as const;
/** Whether issue 23's targets are checked on `flow`. */
export const isIssueFlow = (flow: Flow): boolean => (ISSUE_FLOWS as readonly Flow[]).includes(flow);
export type Flow = (typeof FLOWS)[number];
/** Flows whose every success appends one receipt to the tenant's ledger. */
export const RECEIPTED: readonly Flow[] = ['create-entity', 'grant-entitlement', 'approval'];

/** What the flows of one tenant work on. */
export interface TenantState {
  name: string;
  /** Operator token, subject `ops`: creates, grants, requests deletes, simulates, reads receipts. */
  ops: string;
  /** Approver token, subject `approver`: the second principal of dual control. */
  approver: string;
  grantTargets: string[];
  grantSubjects: string[];
  /** Entities with an open delete request by `ops`, each approved once. */
  approvalPool: string[];
  /** Receipt ids of this tenant's creates, for provenance-fetch. */
  receipts: string[];
}

/** Three cases of kernel/policies/tests/dual-control.json, with their expected decisions. */
const SIMULATE_BODY = JSON.stringify((JSON.parse(readFileSync('kernel/policies/tests/dual-control.json', 'utf8')) as unknown[]).slice(0, 3));

const json = (reply: Reply) => {
  try {
    return JSON.parse(reply.body) as Record<string, unknown>;
  } catch {
    return {};
  }
};

/** Sends, and answers undefined when the status (and `check` of the body) is the expected one, else the request and what came back. */
async function expect(client: Caller, method: string, path: string, token: string, body: unknown, status: number, check?: (body: Record<string, unknown>) => boolean): Promise<string | undefined> {
  const reply = await client.call(method, path, token, body);
  if (reply.status === status && (!check || check(json(reply)))) return undefined;
  const sent = body === undefined ? '' : ` ${typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body).slice(0, 200)}`;
  return `${method} ${path}${sent} → ${reply.status}: ${reply.body.slice(0, 400)}`;
}

/** `shot`, with the `Server-Timing` header of its reply read back once it is answered. */
export function timedShot(flow: Flow, t: TenantState, k: number, client: Caller): { shot: Shot; serverTiming: () => string | undefined } {
  let serverTiming: string | undefined;
  const caller: Caller = {
    call: async (...call) => {
      const reply = await client.call(...call);
      serverTiming = reply.serverTiming;
      return reply;
    },
  };
  return { shot: shot(flow, t, k, caller), serverTiming: () => serverTiming };
}

/** The k-th request of `flow` for tenant `t`. */
export function shot(flow: Flow, t: TenantState, k: number, client: Caller): Shot {
  switch (flow) {
    case 'create-entity':
      return async () => {
        const reply = await client.call('POST', '/v1/entities', t.ops, { type: 'Asset', name: `bench asset ${t.name} #${k}` });
        const body = json(reply);
        if (reply.status === 201 && typeof body.id === 'string' && typeof body.receipt_id === 'string') {
          t.receipts.push(body.receipt_id);
          return undefined;
        }
        return `POST /v1/entities → ${reply.status}: ${reply.body.slice(0, 400)}`;
      };
    case 'grant-entitlement': {
      const target = t.grantTargets[k % t.grantTargets.length]!;
      const subjectId = t.grantSubjects[(k * 31 + 7) % t.grantSubjects.length]!;
      return () => expect(client, 'POST', `/v1/entities/${target}/entitlements`, t.ops, { subject_id: subjectId, entitlement: 'execute' }, 201);
    }
    case 'approval':
      return async () => {
        const entityId = t.approvalPool.pop();
        if (!entityId) return `approval pool of ${t.name} exhausted (driver bug)`;
        const body = { entity_id: entityId, action: 'delete', rationale: { category: 'decommission', text: 'Benchmark decommission.' } };
        return expect(client, 'POST', '/v1/approvals', t.approver, body, 201);
      };
    case 'policy-simulate':
      return () => expect(client, 'POST', '/v1/policy/simulate', t.ops, SIMULATE_BODY, 200, (body) => body.failed === 0 && body.passed === 3);
    case 'run-workflow':
      // A governed run requested (High-Risk Ops' temporary access): two transitions receipted (requested, awaiting approval).
      return () => expect(client, 'POST', '/v1/workflows/types/temporary-access/runs', t.ops,
        { rationale: { category: 'support', text: `benchmark access request ${t.name} #${k}` }, params: { grantee: `oncall-${k % 50}`, role: 'reader', duration_minutes: 30 } }, 201,
        (body) => body.status === 'awaiting-approval');
    case 'events-stats':
      return () => expect(client, 'GET', '/v1/events/stats', t.ops, undefined, 200);
    case 'provenance-fetch': {
      const receiptId = t.receipts[(k * 7919) % t.receipts.length]!;
      return () => expect(client, 'GET', `/v1/provenance/receipts/${receiptId}`, t.ops, undefined, 200);
    }
  }
}
