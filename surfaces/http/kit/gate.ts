import { httpStatusOf } from './errors.ts';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { PolicyGate } from '../../../platform/governance/index.ts';
import type { Approval } from '../../../platform/governance/index.ts';
import type { GatedRoute } from './route-policy.ts';

/** The 202 a dual-controlled action answers until someone other than its requester approves it (POST /v1/approvals). */
export const pendingApprovalSchema = {
  type: 'object',
  description: 'Pending approval: nothing was done. Someone other than the requester approves it (`POST /v1/approvals`), then the requester asks again (within 24 hours).',
  required: ['status', 'approval_request_id', 'decision_id', 'message'],
  properties: {
    status: { type: 'string', enum: ['pending-approval'] },
    approval_request_id: { type: 'string', description: 'The request waiting for approval: `request_id` of `POST /v1/approvals` when several principals asked.' },
    decision_id: { type: 'string', description: 'The denial that is waiting for an approval, in `GET /v1/policy/decisions`.' },
    message: { type: 'string', description: 'What to do next, for people.' },
  },
} as const;

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

/**
 * The policy gate: one preHandler asks Cedar about every route that declares
 * `config.gate`, logs the decision, and refuses (403, plus a policy-violation
 * event) or parks the action for approval (202); one onSend hook appends the
 * receipt of every successful privileged action before the response leaves.
 * Register it before the routes: it also keeps the inventory `policy coverage` prints.
 */
export function registerPolicyGate(app: FastifyInstance, gate: PolicyGate): RouteEntry[] {
  const { deps } = gate;
  const held = new WeakMap<FastifyRequest, () => void>();
  const approvals = new WeakMap<FastifyRequest, Approval>();
  const release = (request: FastifyRequest) => held.get(request)?.();
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
    const route = request.routeOptions.config.gate;
    if (!route) return;
    const principal = request.principal!;
    // Taken before the resource is read and kept until the receipt is written (onSend): one writer per key at a time.
    if (route.lock) held.set(request, await gate.locks.acquire(route.lock(request)));
    const resource = await route.resource(request);
    const extra = (await route.context?.(request, resource)) ?? {};
    const asked = { method: request.method, route: request.routeOptions.url ?? request.url, traceId: traceId(request) };
    const verdict = await gate.decide(principal, route.action, resource, extra, asked);

    if (verdict.decision.decision === 'deny') {
      // Dual control: what an approval by someone else would allow waits for one instead of failing.
      if (verdict.awaitsApproval) {
        const pending = await deps.approvals.request(resource.tenant, resource.id, route.action, verdict.principalId, verdict.decisionId);
        return reply.code(202).send({
          status: 'pending-approval',
          approval_request_id: pending.requestId,
          decision_id: verdict.decisionId,
          message: `${route.action} of ${resource.kind} ${resource.id} needs an approval by someone other than ${verdict.principalId}: POST /v1/approvals {"entity_id": "${resource.id}", "action": "${route.action}", "rationale": …}, then ask again.`,
        });
      }
      throw await gate.refuse(principal, verdict, route.action, resource, asked);
    }
    for (const next of (await route.produces?.(request, resource)) ?? []) {
      const produced = await gate.decide(principal, route.action, next, extra, asked);
      if (produced.decision.decision === 'deny') throw await gate.refuse(principal, produced, route.action, next, asked);
    }
    if (verdict.approval) approvals.set(request, verdict.approval);

    await route.ready?.(request);
    const { gate: authorization, draft } = await gate.authorization(verdict, resource, route.privileged === true);
    request.gate = authorization;
    if (!draft) return;
    request.receipt = draft;
    if (route.receipt === 'before') {
      const commit = async (asked: string | Buffer) => {
        try {
          await gate.receipt(principal.tenant, route.action, authorization, draft, asked);
        } catch (error) {
          request.log.error({ err: error }, 'receipt append failed; the action is refused');
          throw new DomainError('RECEIPT_WRITE_FAILED', 'Nothing was done.');
        }
      };
      if (route.upload) {
        // The body is still unread: the handler stores it, then commits the receipt to its digest before acting.
        request.commitReceipt = (sha256) => {
          draft.target = { name: `${resource.kind}/${resource.id}`, sha256 };
          return commit('');
        };
      } else {
        // What was authorized: the request (a bill file's bytes as they are, never re-encoded).
        await commit(Buffer.isBuffer(request.body) ? request.body : JSON.stringify({ method: request.method, url: request.url, body: request.body ?? null }));
      }
    } else {
      request.receiptIn = (tx, record) => {
        draft.withAction ??= false;
        return gate.receiptIn(tx, principal.tenant, route.action, authorization, draft, record);
      };
    }
    reply.header('x-companyos-receipt', draft.id);
  });

  const receiptOnSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const draft = request.receipt;
    if (!draft || !request.gate) return payload;
    // Receipted with its action: it happened (whatever was answered after), and consumes its approval.
    if (draft.withAction) return consume(request, payload);
    if (draft.logIndex !== undefined) return payload;
    if (reply.statusCode >= 300 || draft.unchanged) {
      // Nothing happened, so nothing is receipted.
      reply.removeHeader('x-companyos-receipt');
      return payload;
    }
    try {
      await gate.receipt(request.principal!.tenant, request.routeOptions.config.gate!.action, request.gate, draft, String(payload ?? ''));
    } catch (error) {
      request.log.error({ err: error, receipt: draft.id }, 'receipt append failed; rolling the action back');
      try {
        await draft.rollback?.();
      } catch (rollbackError) {
        request.log.fatal({ err: rollbackError, receipt: draft.id }, 'ROLLBACK FAILED: a privileged action stands without a receipt');
      }
      // A route without a rollback is a bug the coverage test catches; say so rather than claim a rollback.
      const domainError = draft.rollback
        ? new DomainError('RECEIPT_WRITE_FAILED', 'Nothing was changed.')
        : new DomainError('INTERNAL', 'The action stands without a receipt (its route cannot undo it); it has been logged for an operator.');
      reply.code(httpStatusOf(domainError)).header('content-type', 'application/json; charset=utf-8').removeHeader('x-companyos-receipt');
      return JSON.stringify({ code: domainError.code, message: domainError.message });
    }
    return consume(request, payload);
  };
  // A dual-controlled action executes once per approval.
  const consume = async (request: FastifyRequest, payload: unknown) => {
    const approval = approvals.get(request);
    if (approval) await gate.consumeApproval(request.gate!.resource.tenant, approval, request.receipt!.id, request.log);
    return payload;
  };

  app.addHook('onSend', async (request, reply, payload) => {
    try {
      return await receiptOnSend(request, reply, payload);
    } finally {
      release(request);
    }
  });
  // Should onSend not run (the connection went away), the keys are still given back.
  app.addHook('onResponse', async (request) => release(request));

  return inventory;
}

/**
 * The error a request answers: an engine failing the transaction that carried an action and its receipt
 * is the receipt's failure as much as the action's — neither was written.
 */
export function answerForFailure(request: FastifyRequest, error: DomainError): DomainError {
  if (request.receipt?.withAction !== false || httpStatusOf(error) < 500) return error;
  return new DomainError('RECEIPT_WRITE_FAILED', 'Nothing was changed.');
}

function traceId(request: FastifyRequest): string {
  const traceparent = request.headers.traceparent;
  const match = typeof traceparent === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent) : null;
  return match?.[1] ?? createHash('sha256').update(String(request.id)).digest('hex').slice(0, 32);
}

export interface CoverageSummary {
  privileged: number;
  /** Privileged routes with an action and a receipt mode: gated and receipted. */
  gatedPrivileged: number;
  /** State-changing routes that are neither gated nor say why. */
  unexplained: RouteEntry[];
}

export function summarizeCoverage(rows: readonly RouteEntry[]): CoverageSummary {
  const privileged = rows.filter((r) => r.privileged);
  return {
    privileged: privileged.length,
    gatedPrivileged: privileged.filter((r) => r.action && r.receipt).length,
    unexplained: rows.filter((r) => r.method !== 'GET' && !r.public && !r.action && !r.ungated),
  };
}
