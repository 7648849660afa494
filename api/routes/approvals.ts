import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DUAL_CONTROL_ACTIONS } from '../../policies/engine.ts';
import { parseRationale, RATIONALE_CATEGORIES, type ApprovalRequest, type ApprovalStore } from '../entities/approval-store.ts';
import type { EntityStore } from '../entities/entity-store.ts';
import type { EvidenceStore } from '../provenance/evidence-store.ts';
import { ApiError } from '../errors.ts';
import { created, gatedErrorReplies } from '../route-schemas.ts';
import { asResource, findEntity } from '../entities/entity-resource.ts';
import { entityKey } from '../entities/keyed-mutex.ts';

interface ApprovalBody {
  entityId: string;
  action: string;
  rationale: unknown;
  requestId?: string;
  evidence?: string[];
}

const answering = new WeakMap<FastifyRequest, ApprovalRequest>();

/** The second half of dual control: someone other than the requester approves, with a rationale from the taxonomy. */
export function approvalRoutes(app: FastifyInstance, deps: { entities: EntityStore; approvals: ApprovalStore; evidence: EvidenceStore }): void {
  app.post<{ Body: ApprovalBody }>(
    '/v1/approvals',
    {
      schema: {
        summary: 'Approve a pending destructive action (dual control: never your own request); privileged, receipted',
        description: `The rationale is {"category", "text"} or "category: text"; categories: ${RATIONALE_CATEGORIES.join(', ')}.`,
        tags: ['entities'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['entityId', 'action', 'rationale'],
          properties: {
            entityId: { type: 'string', maxLength: 128 },
            action: { type: 'string', enum: [...DUAL_CONTROL_ACTIONS] },
            rationale: { anyOf: [{ type: 'object' }, { type: 'string' }] },
            requestId: { type: 'string', maxLength: 64, description: 'Which pending request, when several principals asked; the oldest otherwise.' },
            evidence: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 }, description: 'Evidence ids (POST /v1/provenance/evidence) backing the approval.' },
          },
        },
        response: { ...created, ...gatedErrorReplies },
      },
      config: {
        gate: {
          privileged: true,
          action: 'approve',
          // The entity's lock, which its delete also takes: one approval per request, and none while the action executes.
          lock: (request) => [entityKey(request.principal!.tenant, (request.body as ApprovalBody).entityId)],
          resource: async (request) => {
            const { entityId } = request.body as ApprovalBody;
            parseRationale((request.body as ApprovalBody).rationale);
            return asResource(await findEntity(deps.entities, request.principal!.tenant, entityId));
          },
          context: async (request, resource) => {
            const body = request.body as ApprovalBody;
            const open = await deps.approvals.pending(resource.tenant, resource.id, body.action);
            const pending = body.requestId ? open.find((r) => r.requestId === body.requestId) : open[0];
            if (!pending && (await deps.approvals.satisfied(resource.tenant, resource.id, body.action, body.requestId))) {
              throw new ApiError('APPROVAL_ALREADY_SATISFIED', `The ${body.action} of ${resource.id} is already approved.`);
            }
            if (!pending) throw new ApiError('APPROVAL_NOT_REQUESTED', `No open ${body.action} request for ${resource.id}.`);
            answering.set(request, pending);
            return { requester: pending.requestedBy };
          },
        },
      },
    },
    async (request, reply) => {
      const pending = answering.get(request)!;
      const rationale = parseRationale(request.body.rationale);
      const evidenceIds = [...new Set(request.body.evidence ?? [])];
      const found = await deps.evidence.items(request.gate!.resource.tenant, evidenceIds);
      const missing = evidenceIds.filter((id) => !found.some((item) => item.id === id));
      if (missing.length > 0) throw new ApiError('EVIDENCE_INVALID', `No evidence ${missing.join(', ')} in this tenant; attach it first (POST /v1/provenance/evidence).`);
      const approval = await deps.approvals.approve(request.gate!.resource.tenant, pending, request.gate!.principalId, rationale, evidenceIds);
      request.receipt!.hidden = { rationale_category: rationale.category, rationale: rationale.text };
      request.receipt!.rollback = () => deps.approvals.rollback(request.gate!.resource.tenant, pending, approval);
      return reply.code(201).send({
        approvalId: approval.approvalId,
        requestId: pending.requestId,
        entityId: pending.entityId,
        action: pending.action,
        requestedBy: pending.requestedBy,
        approver: approval.approver,
        rationale,
        receiptId: request.receipt!.id,
      });
    },
  );
}
