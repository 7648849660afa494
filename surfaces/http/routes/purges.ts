import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { ResourceAttributes } from '../../../kernel/policies/index.ts';
import { ERASABLE_ARTIFACTS } from '../../../platform/erasure/index.ts';
import type { WorkflowEngine } from '../../../platform/workflows/index.ts';
import { errorResponses } from '../kit/index.ts';
import { runSchema } from './workflow-schemas.ts';
import { rationaleSchema, runJson } from './workflows.ts';

interface PurgeBody {
  tenant?: string;
  subject: string;
  artifacts?: string[];
  rationale: { category: string; text: string };
}

const erasureResource = (request: FastifyRequest): ResourceAttributes => ({
  id: 'workflow-type/erasure', tenant: request.principal!.tenant, kind: 'WorkflowRun', data_class: 'internal', region: request.principal!.region,
});

/**
 * Erasure requests: a subject's erasure is a governed `erasure` run of the caller's tenant (an approver
 * and an admin approve it, neither the requester; then it is executed like any run). This route is the
 * request; `/v1/workflows/runs/{id}` follows it.
 */
export function purgeRoutes(app: FastifyInstance, deps: { workflows: WorkflowEngine }): void {
  app.post<{ Body: PurgeBody }>('/v1/admin/purges', {
    schema: {
      operationId: 'requestErasure',
      summary: 'Request the erasure of a data subject (dual-controlled)',
      description:
        'Requests an `erasure` workflow run for the caller\'s tenant: once an approver and an admin (neither the requester) approve and it is executed, ' +
        'the subject\'s events, quarantined payloads, evidence content, receipts\' hidden fields and export files are removed, the models rebuilt, the backups replaced ' +
        'and the bytes reclaimed from storage; a signed purge manifest (`GET /v1/provenance/purge-manifests`) records what went without naming the subject, ' +
        'and every receipt still verifies. Preflight counts what would go.',
      tags: ['workflows'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['subject', 'rationale'],
        properties: {
          tenant: { type: 'string', maxLength: 128, description: 'The tenant whose subject it is: the caller\'s own (the default); any other is refused.' },
          subject: { type: 'string', minLength: 6, maxLength: 256, description: 'The subject\'s id: the `subject` of its events; in free text, anything containing it.' },
          artifacts: { type: 'array', minItems: 1, maxItems: ERASABLE_ARTIFACTS.length, uniqueItems: true, items: { type: 'string', enum: [...ERASABLE_ARTIFACTS] }, description: 'Where to erase; all when absent.' },
          rationale: rationaleSchema,
        },
        examples: [{ subject: 'customer-4711', rationale: { category: 'data-subject-request', text: 'erasure request received by the DPO on 2026-12-01, ticket DSR-118' } }],
      },
      response: { 201: runSchema, ...errorResponses(400, 403) },
    },
    config: { gate: { action: 'request_workflow', resource: erasureResource } },
  }, async (request, reply) => {
    const { tenant, subject, artifacts, rationale } = request.body;
    if (tenant !== undefined && tenant !== request.principal!.tenant) throw new DomainError('ERASURE_TENANT_FORBIDDEN', `The token is ${request.principal!.tenant}'s; ${JSON.stringify(tenant.slice(0, 64))}'s subjects are erased by its own operators.`);
    const run = await deps.workflows.request({
      tenant: request.principal!.tenant, type: 'erasure', requestedBy: request.gate!.principalId, rationale, params: { subject, ...(artifacts ? { artifacts } : {}) },
    });
    return reply.code(201).send(runJson(run));
  });
}
