import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DUAL_CONTROL_ACTIONS } from '../../../kernel/policies/index.ts';
import { parseRationale, RATIONALE_CATEGORIES, type ApprovalRequest, type ApprovalStore } from '../../../platform/governance/index.ts';
import type { EntityStore } from '../../../platform/governance/index.ts';
import type { EvidenceStore } from '../../../platform/governance/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { bodyErrorsAs } from '../../../surfaces/http/kit/index.ts';
import { asResource, findEntity } from './entity-resource.ts';
import { receiptIdHeader, receiptIdSchema } from '../../../surfaces/http/kit/index.ts';
import { entityKey } from '../../../platform/governance/index.ts';
import { errorResponses } from '../../../surfaces/http/kit/index.ts';

interface ApprovalBody {
  entity_id: string;
  action: string;
  rationale: unknown;
  request_id?: string;
  evidence?: string[];
}

const categorySchema = { type: 'string', enum: [...RATIONALE_CATEGORIES] } as const;
const rationaleTextSchema = { type: 'string', minLength: 3, maxLength: 2000, description: 'Why, in 3–2000 characters (trimmed).' } as const;

const answering = new WeakMap<FastifyRequest, ApprovalRequest>();

/** The second half of dual control: someone other than the requester approves, with a rationale from the taxonomy. */
export function approvalRoutes(app: FastifyInstance, deps: { entities: EntityStore; approvals: ApprovalStore; evidence: EvidenceStore }): void {
  app.post<{ Body: ApprovalBody }>(
    '/v1/approvals',
    {
      schema: {
        operationId: 'approveRequest',
        summary: 'Approve a pending dual-controlled action',
        description:
          'The second half of dual control: an approver (or admin) other than whoever asked approves a pending action (a delete that answered 202), ' +
          `with a rationale: {"category", "text"} or "category: text"; categories: ${RATIONALE_CATEGORIES.join(', ')}. Never one's own request (403 SELF_APPROVAL_REFUSED); ` +
          'one approval per request (409 APPROVAL_ALREADY_SATISFIED). Privileged: the answer carries its receipt, which hides the rationale (disclosed on request).',
        tags: ['approvals'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['entity_id', 'action', 'rationale'],
          properties: {
            entity_id: { type: 'string', maxLength: 128, description: 'The entity the pending action is on.' },
            action: { type: 'string', enum: [...DUAL_CONTROL_ACTIONS] },
            rationale: {
              description: 'Why it may go ahead: a category from the taxonomy and a sentence.',
              anyOf: [
                { type: 'object', additionalProperties: false, required: ['category', 'text'], properties: { category: categorySchema, text: rationaleTextSchema } },
                { type: 'string', maxLength: 2100, pattern: `^(${RATIONALE_CATEGORIES.join('|')}):`, description: '`category: text`, the short form.' },
              ],
            },
            request_id: { type: 'string', maxLength: 64, description: 'Which pending request (`approval_request_id` of the 202), when several principals asked; the oldest otherwise.' },
            evidence: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 }, description: 'Evidence ids (POST /v1/provenance/evidence) backing the approval.' },
          },
          examples: [{ entity_id: 'db-replica-3', action: 'delete', rationale: { category: 'decommission', text: 'Replica retired in CAB 2026-11-22.' } }],
        },
        response: {
          201: {
            type: 'object',
            description: 'Approved: the requester may now act once, within 24 hours. With the receipt of the approval.',
            headers: receiptIdHeader,
            required: ['approval_id', 'request_id', 'entity_id', 'action', 'requested_by', 'approver', 'rationale', 'receipt_id'],
            properties: {
              approval_id: { type: 'string' },
              request_id: { type: 'string', description: 'The request approved.' },
              entity_id: { type: 'string' },
              action: { type: 'string', enum: [...DUAL_CONTROL_ACTIONS] },
              requested_by: { type: 'string', description: 'Who asked for the action (`<tenant>/<subject>`): the one who may now act.' },
              approver: { type: 'string', description: 'Who approved (`<tenant>/<subject>`).' },
              rationale: { type: 'object', required: ['category', 'text'], properties: { category: categorySchema, text: { type: 'string' } } },
              receipt_id: receiptIdSchema,
            },
          },
          ...errorResponses(404, 409),
        },
      },
      schemaErrorFormatter: bodyErrorsAs({ '/rationale': 'RATIONALE_INVALID' }),
      config: {
        gate: {
          privileged: true,
          action: 'approve',
          // The entity's lock, which its delete also takes: one approval per request, and none while the action executes.
          lock: (request) => [entityKey(request.principal!.tenant, (request.body as ApprovalBody).entity_id)],
          resource: async (request) => {
            const { entity_id } = request.body as ApprovalBody;
            parseRationale((request.body as ApprovalBody).rationale);
            return asResource(await findEntity(deps.entities, request.principal!.tenant, entity_id));
          },
          context: async (request, resource) => {
            const body = request.body as ApprovalBody;
            const open = await deps.approvals.pending(resource.tenant, resource.id, body.action);
            const pending = body.request_id ? open.find((r) => r.requestId === body.request_id) : open[0];
            if (!pending && (await deps.approvals.satisfied(resource.tenant, resource.id, body.action, body.request_id))) {
              throw new DomainError('APPROVAL_ALREADY_SATISFIED', `The ${body.action} of ${resource.id} is already approved.`);
            }
            if (!pending) throw new DomainError('APPROVAL_NOT_REQUESTED', `No open ${body.action} request for ${resource.id}.`);
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
      if (missing.length > 0) throw new DomainError('EVIDENCE_INVALID', `No evidence ${missing.join(', ')} in this tenant; attach it first (POST /v1/provenance/evidence).`);
      request.receipt!.hidden = { rationale_category: rationale.category, rationale: rationale.text };
      const approval = await deps.approvals.approve(
        request.gate!.resource.tenant, pending, request.gate!.principalId, rationale, evidenceIds,
        (tx, written) => request.receiptIn!(tx, JSON.stringify({ approval_id: written.approvalId, request_id: pending.requestId, approver: written.approver })),
      );
      return reply.code(201).send({
        approval_id: approval.approvalId,
        request_id: pending.requestId,
        entity_id: pending.entityId,
        action: pending.action,
        requested_by: pending.requestedBy,
        approver: approval.approver,
        rationale,
        receipt_id: request.receipt!.id,
      });
    },
  );
}
