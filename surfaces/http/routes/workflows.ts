import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ResourceAttributes } from '../../../kernel/policies/index.ts';
import { exportBundle, type EvidenceStore, type LedgerStore } from '../../../platform/governance/index.ts';
import type { RunStatus, RunView, WorkflowEngine } from '../../../platform/workflows/index.ts';
import { errorResponses, ownResource } from '../kit/index.ts';
import { bundleSchema } from './provenance-schemas.ts';
import { runListSchema, runSchema, runStatusSchema, typesSchema } from './workflow-schemas.ts';

interface RationaleBody {
  rationale: { category: string; text: string };
}

/** The gate's resource for a run (or, before it exists, for runs of a type): of the caller's tenant. */
const runResource = (id: string) => (request: FastifyRequest): ResourceAttributes => ({
  id, tenant: request.principal!.tenant, kind: 'WorkflowRun', data_class: 'internal', region: request.principal!.region,
});

export const rationaleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['category', 'text'],
  properties: {
    category: { type: 'string', maxLength: 64, description: 'From the type\'s taxonomy (`GET /v1/workflows/types`).' },
    text: { type: 'string', maxLength: 2000, description: 'Why, in at least the type\'s minimum number of characters.' },
  },
} as const;

/**
 * Governed workflows over HTTP: the caller's tenant's runs of the packs' workflow types. Each call
 * is decided by Cedar (`request_workflow`, `approve`, `execute_workflow`, `read`); the engine itself
 * receipts every transition, so these routes add no receipt of their own.
 */
export function workflowRoutes(app: FastifyInstance, deps: { workflows: WorkflowEngine; ledger: LedgerStore; evidence: EvidenceStore }): void {
  const { workflows } = deps;
  const principalId = (request: FastifyRequest) => request.gate!.principalId;

  app.get('/v1/workflows/types', {
    schema: {
      operationId: 'listWorkflowTypes',
      summary: 'The governed action types this platform runs, with their approval rules',
      description: 'Every workflow type the packs declare: its approval rule (role groups with counts, AND/OR), separation of duties, rationale taxonomy and minimum length, approval expiry and SLA, and its steps.',
      tags: ['workflows'],
      response: { 200: typesSchema },
    },
    config: { gate: { action: 'read', resource: ownResource('workflow-types', 'WorkflowType') } },
  }, () => ({ types: workflows.typeList() }));

  app.post<{ Params: { type: string }; Body: RationaleBody & { params?: unknown } }>('/v1/workflows/types/:type/runs', {
    schema: {
      operationId: 'requestWorkflowRun',
      summary: 'Request a run of a governed action',
      description:
        'Records the request with its rationale, runs the type\'s preflight and answers the run awaiting approval (or `preflight-failed`). ' +
        'Each transition is a signed receipt in the tenant\'s ledger (`receipt_id` of each transition).',
      tags: ['workflows'],
      params: { type: 'object', required: ['type'], properties: { type: { type: 'string', maxLength: 64 } } },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['rationale'],
        properties: { rationale: rationaleSchema, params: { description: 'The type\'s parameters.' } },
        examples: [{ rationale: { category: 'maintenance', text: 'rotate the staging certificate before it expires' }, params: { target: 'staging-cert' } }],
      },
      response: { 201: runSchema, ...errorResponses(400, 404) },
    },
    config: { gate: { action: 'request_workflow', resource: (request) => runResource(`workflow-type/${(request.params as { type: string }).type}`)(request) } },
  }, async (request, reply) => {
    const run = await workflows.request({
      tenant: request.principal!.tenant, type: request.params.type, requestedBy: principalId(request), rationale: request.body.rationale, params: request.body.params,
    });
    return reply.code(201).send(runJson(run));
  });

  app.get<{ Querystring: { type?: string; status?: RunStatus; limit?: number } }>('/v1/workflows/runs', {
    schema: {
      operationId: 'listWorkflowRuns',
      summary: 'The caller\'s tenant\'s workflow runs, newest first',
      description: 'Any role of the tenant may read them (decided, not receipted); `type` and `status` filter, `limit` caps (default 100).',
      tags: ['workflows'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { type: { type: 'string', maxLength: 64 }, status: runStatusSchema, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      },
      response: { 200: runListSchema },
    },
    config: { gate: { action: 'read', resource: ownResource('workflow-runs', 'WorkflowRun') } },
  }, async (request) => ({ runs: (await workflows.list(request.principal!.tenant, request.query)).map(runJson) }));

  app.get<{ Params: { id: string } }>('/v1/workflows/runs/:id', {
    schema: {
      operationId: 'getWorkflowRun',
      summary: 'A workflow run: its request, transitions (each with its receipt), approvals and steps',
      description: 'The run of the caller\'s tenant; another tenant\'s id answers 404 as an id that exists nowhere.',
      tags: ['workflows'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      response: { 200: runSchema, ...errorResponses(404) },
    },
    config: { gate: { action: 'read', resource: (request) => runResource((request.params as { id: string }).id)(request) } },
  }, async (request) => runJson(await workflows.get(request.principal!.tenant, request.params.id)));

  app.get<{ Params: { id: string } }>('/v1/workflows/runs/:id/evidence', {
    schema: {
      operationId: 'getWorkflowRunEvidence',
      summary: 'A workflow run\'s evidence bundle, verifiable offline',
      description:
        'The receipt of every transition with its inclusion proof and the checkpoint, and as evidence every approval (with its rationale) and every step\'s end ' +
        '(preflight result, the executor\'s output and transcript, the rollback outcome), each signed into a transition\'s receipt by its SHA-256: ' +
        '`companyos ledger verify BUNDLE --key PUBKEY` checks it offline, and a changed transcript fails. It never expires.',
      tags: ['workflows'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      response: { 200: bundleSchema, ...errorResponses(404) },
    },
    config: { gate: { action: 'read', resource: (request) => ({ ...runResource((request.params as { id: string }).id)(request), data_class: 'confidential' }) } },
  }, async (request, reply) => {
    const tenant = request.principal!.tenant;
    const { items, entries } = await workflows.evidence(tenant, request.params.id);
    const bundle = await exportBundle(deps.ledger, deps.evidence, tenant, `workflow-run-${request.params.id}`, entries, items);
    return reply.header('content-disposition', `attachment; filename="workflow-run-${request.params.id}.bundle.json"`).send(bundle);
  });

  app.post<{ Params: { id: string }; Body: RationaleBody & { decision: 'approve' | 'deny' } }>('/v1/workflows/runs/:id/approvals', {
    schema: {
      operationId: 'decideWorkflowRun',
      summary: 'Approve or deny a workflow run, with a rationale',
      description:
        'An approver\'s decision, counted toward the type\'s rule with the roles of the caller\'s token. Never on one\'s own request (403); once per approver (409); ' +
        'the approval that satisfies the rule approves the run, one denial denies it, and after the approval window the run expires (409 WORKFLOW_APPROVAL_EXPIRED).',
      tags: ['workflows'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['decision', 'rationale'],
        properties: { decision: { type: 'string', enum: ['approve', 'deny'] }, rationale: rationaleSchema },
        examples: [{ decision: 'approve', rationale: { category: 'maintenance', text: 'checked the preflight output: fine' } }],
      },
      response: { 201: runSchema, ...errorResponses(400, 404, 409) },
    },
    config: {
      gate: {
        action: 'approve',
        resource: (request) => runResource((request.params as { id: string }).id)(request),
        context: async (request) => ({ requester: (await workflows.get(request.principal!.tenant, (request.params as { id: string }).id)).requestedBy }),
      },
    },
  }, async (request, reply) => {
    const run = await workflows.decide({
      tenant: request.principal!.tenant, runId: request.params.id, approver: principalId(request), roles: request.principal!.roles,
      decision: request.body.decision, rationale: request.body.rationale,
    });
    return reply.code(201).send(runJson(run));
  });

  app.post<{ Params: { id: string } }>('/v1/workflows/runs/:id/execute', {
    schema: {
      operationId: 'executeWorkflowRun',
      summary: 'Carry out an approved workflow run',
      description: 'Consumes the approval (one executor wins a race) and runs execute, verify and — when either fails — rollback; answers the run as it ended (`succeeded`, `failed` or `rolled-back`).',
      tags: ['workflows'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      response: { 200: runSchema, ...errorResponses(404, 409) },
    },
    config: { gate: { action: 'execute_workflow', resource: (request) => runResource((request.params as { id: string }).id)(request) } },
  }, async (request) => runJson(await workflows.execute(request.principal!.tenant, request.params.id, principalId(request))));

  app.post<{ Params: { id: string } }>('/v1/workflows/runs/:id/cancel', {
    schema: {
      operationId: 'cancelWorkflowRun',
      summary: 'Cancel a workflow run that is not executing yet',
      description: 'A run requested, awaiting approval or approved ends as `cancelled`; an `active` grant is revoked at once and ends `revoked` (both receipted). One executing or ended answers 409 WORKFLOW_STATE_INVALID.',
      tags: ['workflows'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      response: { 200: runSchema, ...errorResponses(404, 409) },
    },
    config: { gate: { action: 'request_workflow', resource: (request) => runResource((request.params as { id: string }).id)(request) } },
  }, async (request) => runJson(await workflows.cancel(request.principal!.tenant, request.params.id, principalId(request))));
}

/**
 * Doors around governed actions, kept locked: a direct call of what a workflow type carries out is
 * refused with WORKFLOW_REQUIRED (naming the type to request) and recorded as a policy violation.
 */
const SIDE_DOORS = [
  { url: '/v1/ledger/keys/rotate', action: 'ledger.rotate_key', type: 'ledger-key-rotation' },
  { url: '/v1/policy/bundle/activate', action: 'policy.activate', type: 'policy-change' },
] as const;

export function sideDoorRoutes(app: FastifyInstance, deps: { workflows: WorkflowEngine }): void {
  for (const door of SIDE_DOORS) {
    app.post(door.url, {
      // Not published: a door with no success to document. runbooks/governed-workflows.md describes it.
      schema: { hide: true, response: errorResponses(403) },
      config: { gate: { action: 'request_workflow', resource: (request) => runResource(door.type)(request) } },
    }, async (request) => {
      throw await deps.workflows.refuseOutsideWorkflow({
        tenant: request.principal!.tenant, principal: request.gate!.principalId, action: door.action, type: door.type, channel: 'http',
      });
    });
  }
}

export function runJson(run: RunView) {
  return {
    run_id: run.runId,
    workflow_type: run.type,
    status: run.status,
    requested_by: run.requestedBy,
    requested_at: run.requestedAt.toISOString(),
    rationale: { category: run.rationaleCategory, text: run.rationale },
    params: run.params,
    approval_expires_at: run.approvalExpiresAt.toISOString(),
    outstanding: run.outstanding,
    transitions: run.transitions.map((t) => ({ seq: t.seq, status: t.status, actor: t.actor, at: t.at.toISOString(), detail: t.detail, receipt_id: t.receiptId })),
    approvals: run.approvals.map((a) => ({ approver: a.approver, roles: a.roles, decision: a.decision, rationale: { category: a.rationaleCategory, text: a.rationale }, at: a.at.toISOString() })),
    steps: run.steps.map((s) => ({ step: s.step, phase: s.phase, attempt: s.attempt, executor: s.executor, at: s.at.toISOString(), output: s.output })),
  };
}
