import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { DUAL_CONTROL_ACTIONS, NAMESPACE, newDecisionId, type Decision, type DecisionContext, type PolicyEngine } from '../../policies/engine.ts';
import type { IngestPipeline } from '../../ingest/index.ts';
import type { ApprovalStore } from '../entities/approval-store.ts';
import { ApiError } from '../errors.ts';
import type { EvidenceStore } from '../provenance/evidence-store.ts';
import type { LedgerStore } from '../provenance/ledger-store.ts';
import { appendReceipt } from '../provenance/receipt-writer.ts';
import type { PlatformMetrics } from '../metrics.ts';
import type { DecisionLog } from './decision-log.ts';
import type { GatedRoute } from './route-policy.ts';

export interface GateDeps {
  engine: PolicyEngine;
  decisions: DecisionLog;
  ledger: LedgerStore;
  approvals: ApprovalStore;
  evidence: EvidenceStore;
  pipeline: IngestPipeline;
  metrics: PlatformMetrics;
  /** The environment and region this server runs in (COMPANYOS_ENV, COMPANYOS_REGION). */
  env: string;
}

/** A route as the coverage table shows it. */
export interface RouteEntry {
  method: string;
  url: string;
  public: boolean;
  action?: string;
  privileged: boolean;
  receipt?: 'after' | 'before';
  ungated?: string;
}

const PENDING_APPROVER = '(pending approval)';

/**
 * The policy gate: one preHandler asks Cedar about every route that declares
 * `config.gate`, logs the decision, and refuses (403, plus a policy-violation
 * event) or parks the action for approval (202); one onSend hook appends the
 * receipt of every successful privileged action before the response leaves.
 * Register it before the routes: it also keeps the inventory `policy coverage` prints.
 */
export function registerPolicyGate(app: FastifyInstance, deps: GateDeps): RouteEntry[] {
  const inventory: RouteEntry[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as { public?: boolean; gate?: GatedRoute; ungated?: string };
    if (String(route.url).startsWith('/documentation')) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      inventory.push({
        method,
        url: route.url,
        public: config.public === true,
        action: config.gate?.action,
        privileged: config.gate?.privileged === true,
        receipt: config.gate?.privileged ? (config.gate.receipt ?? 'after') : undefined,
        ungated: config.ungated,
      });
    }
  });

  app.addHook('preHandler', async (request, reply) => {
    const gate = request.routeOptions.config.gate;
    if (!gate) return;
    const principal = request.principal!;
    const principalId = `${principal.tenant}/${principal.subject}`;
    const resource = await gate.resource(request);
    const context: DecisionContext = { ...(await gate.context?.(request, resource)), env: deps.env };
    const dualControl = DUAL_CONTROL_ACTIONS.includes(gate.action);
    const approval = dualControl ? await deps.approvals.find(resource.tenant, resource.id, gate.action, principalId) : undefined;
    if (approval) context.approver = approval.approver;
    const authorize = (ctx: DecisionContext) =>
      deps.engine.authorize({ principal: { id: principalId, tenant: principal.tenant, roles: principal.roles, env: principal.env, region: principal.region }, action: gate.action, resource, context: ctx });
    const decision = authorize(context);
    const decisionId = newDecisionId();
    deps.metrics.observeDecision(gate.action, decision.decision);
    deps.decisions.record({
      decision_id: decisionId,
      timestamp: new Date().toISOString(),
      path: `cedar/${NAMESPACE}/${gate.action}`,
      input: { principal: principalId, action: gate.action, resource: `${resource.kind}/${resource.id}`, context: { ...context, resource } },
      result: { decision: decision.decision, reasons: decision.reasons, errors: decision.errors },
      bundles: { [deps.engine.bundle.name]: { revision: deps.engine.revision } },
      erased: [],
      masked: [],
      trace_id: traceId(request),
      tenant: principal.tenant,
      resource_tenant: resource.tenant,
      method: request.method,
      route: request.routeOptions.url ?? request.url,
    });

    if (decision.decision === 'deny') {
      // Dual control: what an approval by someone else would allow waits for one instead of failing.
      if (dualControl && !approval && authorize({ ...context, approver: `${principal.tenant}/${PENDING_APPROVER}` }).decision === 'allow') {
        const pending = await deps.approvals.request(resource.tenant, resource.id, gate.action, principalId, decisionId);
        return reply.code(202).send({
          status: 'pending-approval',
          approvalRequestId: pending.requestId,
          decision_id: decisionId,
          message: `${gate.action} of ${resource.kind} ${resource.id} needs an approval by someone other than ${principalId}: POST /v1/approvals {"entityId": "${resource.id}", "action": "${gate.action}", "rationale": …}, then ask again.`,
        });
      }
      await recordViolation(deps, request, principalId, decisionId, gate.action, resource.id, resource.tenant, decision);
      throw denial(decision, decisionId, principalId, gate.action, `${resource.kind} ${resource.id}`);
    }

    request.gate = {
      decisionId,
      bundleRevision: deps.engine.revision,
      principalId,
      resource,
      approvers: approval ? [approval.approver] : [],
    };
    if (!gate.privileged) return;
    request.receipt = {
      id: `rcpt-${randomUUID()}`,
      evidenceRefs: [],
      hidden: approval ? { approval_id: approval.approvalId, rationale_category: approval.rationale.category, rationale: approval.rationale.text } : {},
    };
    if (approval) {
      // The approval's evidence travels with the action it allowed, as hashes.
      const items = await deps.evidence.items(resource.tenant, approval.evidenceIds);
      request.receipt.evidenceRefs.push(...items.map((item) => ({ id: item.id, sha256: item.sha256 })));
    }
    if (gate.receipt === 'before') {
      // What was authorized: the request (a bill file's bytes as they are, never re-encoded).
      const asked = Buffer.isBuffer(request.body) ? request.body : JSON.stringify({ method: request.method, url: request.url, body: request.body ?? null });
      try {
        await appendReceipt(deps.ledger, { tenant: principal.tenant, action: gate.action, gate: request.gate, draft: request.receipt, body: asked });
        deps.metrics.observeReceipt(gate.action);
      } catch (error) {
        request.log.error({ err: error }, 'receipt append failed; the action is refused');
        throw new ApiError('RECEIPT_WRITE_FAILED', 'Nothing was done.');
      }
    }
    reply.header('x-companyos-receipt', request.receipt.id);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const draft = request.receipt;
    if (!draft || !request.gate || draft.logIndex !== undefined) return payload;
    if (reply.statusCode >= 300) {
      // Nothing happened, so nothing is receipted.
      reply.removeHeader('x-companyos-receipt');
      return payload;
    }
    try {
      const action = request.routeOptions.config.gate!.action;
      await appendReceipt(deps.ledger, { tenant: request.principal!.tenant, action, gate: request.gate, draft, body: String(payload ?? '') });
      deps.metrics.observeReceipt(action);
      return payload;
    } catch (error) {
      request.log.error({ err: error, receipt: draft.id }, 'receipt append failed; rolling the action back');
      try {
        await draft.rollback?.();
      } catch (rollbackError) {
        request.log.fatal({ err: rollbackError, receipt: draft.id }, 'ROLLBACK FAILED: a privileged action stands without a receipt');
      }
      reply.code(503).header('content-type', 'application/json; charset=utf-8').removeHeader('x-companyos-receipt');
      const apiError = new ApiError('RECEIPT_WRITE_FAILED', draft.rollback ? 'Nothing was changed.' : '');
      return JSON.stringify({ code: apiError.code, message: apiError.message });
    }
  });

  return inventory;
}

function denial(decision: Decision, decisionId: string, principalId: string, action: string, what: string): ApiError {
  const fields = { decision_id: decisionId, reasons: decision.reasons };
  if (decision.reasons.includes('no-self-approval')) return new ApiError('SELF_APPROVAL_REFUSED', `${principalId} asked for it.`, fields);
  const why = decision.reasons.length > 0 ? `forbidden by ${decision.reasons.join(', ')}` : 'no policy permits it';
  return new ApiError('POLICY_DENIED', `${principalId} may not ${action} ${what}: ${why}.`, fields);
}

/** A denied call is a side-door attempt: it lands as an event in the caller's tenant, where reports count them. */
async function recordViolation(
  deps: GateDeps, request: FastifyRequest, principalId: string, decisionId: string, action: string, resourceId: string, resourceTenant: string, decision: Decision,
): Promise<void> {
  const tenant = request.principal!.tenant;
  try {
    await deps.pipeline.ingest(
      [{
        specversion: '1.0',
        id: decisionId,
        source: '/companyos/api/policy-gate',
        type: 'companyos.policy.violation',
        time: new Date().toISOString(),
        subject: resourceId,
        tenantid: tenant,
        policyversion: deps.engine.revision,
        data: { decision_id: decisionId, principal: principalId, action, resource: resourceId, resource_tenant: resourceTenant, reasons: decision.reasons, method: request.method, route: request.routeOptions.url },
      }],
      { channel: 'http', submitter: tenant },
    );
  } catch (error) {
    request.log.error({ err: error, decision: decisionId }, 'could not record the policy violation event');
  }
}

function traceId(request: FastifyRequest): string {
  const traceparent = request.headers.traceparent;
  const match = typeof traceparent === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent) : null;
  return match?.[1] ?? createHash('sha256').update(String(request.id)).digest('hex').slice(0, 32);
}
