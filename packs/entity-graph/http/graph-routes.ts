import type { FastifyInstance } from 'fastify';
import { bodyErrorsAs } from '../../../surfaces/http/kit/index.ts';
import { checkEdgeInput } from '../../../platform/governance/index.ts';
import { asResource, entityLock, entityResource, findEntity, liveResources, loadedEntity } from './entity-resource.ts';
import { edgeInputSchema, edgeSchema, entityIdParams, lineageSchema, withReceipt } from './entity-schemas.ts';
import { entityKey } from '../../../platform/governance/index.ts';
import type { EntityStore } from '../../../platform/governance/index.ts';
import { traverse } from '../../../platform/governance/index.ts';
import { errorResponses } from '../../../surfaces/http/kit/index.ts';
import { readableLineage } from './readable-lineage.ts';

/** The edges between entities: relations, entitlements (ENTITLED_TO) and lineage traversal. */
export function graphRoutes(app: FastifyInstance, deps: { entities: EntityStore }): void {
  const byId = entityResource(deps.entities);

  app.post<{ Params: { id: string }; Body: { subject_id: string; entitlement: string; expires_at?: string } }>(
    '/v1/entities/:id/entitlements',
    {
      schema: {
        operationId: 'grantEntitlement',
        summary: 'Entitle a subject to an entity',
        description:
          'Entitles a person, company or tenant of the caller\'s tenant to this entity: an ENTITLED_TO edge from the subject, decided on both ends (operators, admins). ' +
          'Privileged: the answer carries its receipt.',
        tags: ['entities'],
        params: entityIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['subject_id', 'entitlement'],
          properties: {
            subject_id: { type: 'string', maxLength: 128, description: 'The entity entitled (a live entity of the tenant).' },
            entitlement: { type: 'string', minLength: 1, maxLength: 200, description: 'What it is entitled to, e.g. `execute`.' },
            expires_at: { type: 'string', format: 'date-time', description: 'When the entitlement ends; kept on the edge as `expires_at`.' },
          },
          examples: [{ subject_id: 'ann', entitlement: 'execute', expires_at: '2027-01-01T00:00:00Z' }],
        },
        response: { 201: withReceipt(edgeSchema, 'Granted: the ENTITLED_TO edge, and its receipt.'), ...errorResponses(404) },
      },
      config: {
        gate: {
          privileged: true,
          action: 'grant',
          lock: (request) => [...entityLock(request), entityKey(request.principal!.tenant, (request.body as { subject_id: string }).subject_id)],
          resource: byId,
          // The subject gains the edge too: it is decided as well.
          produces: (request) => liveResources(deps.entities, request.principal!.tenant, [(request.body as { subject_id: string }).subject_id]),
        },
      },
    },
    async (request, reply) => {
      const entity = loadedEntity(request);
      const { subject_id, entitlement, expires_at } = request.body;
      const [edge] = await deps.entities.createEdges(
        entity.tenant,
        [{ type: 'ENTITLED_TO', from: subject_id, to: entity.id, attributes: { entitlement, ...(expires_at ? { expires_at } : {}) } }],
        request.gate!.principalId,
        (tx, [written]) => request.receiptIn!(tx, JSON.stringify(written)),
      );
      return reply.code(201).send({ ...edge, receipt_id: request.receipt!.id });
    },
  );

  app.post(
    '/v1/edges',
    {
      schema: {
        operationId: 'createEdge',
        summary: 'Relate two entities',
        description:
          'Creates an edge between two live entities of the caller\'s tenant: OWNS, MEMBER_OF, ENTITLED_TO, TRIGGERS, EMITS, GOVERNS or BILLS_TO, decided as an update of both ends ' +
          '(writers, operators, admins). A missing `from` answers 404, a missing `to` 400 EDGE_INVALID. Privileged: the answer carries its receipt.',
        tags: ['entities'],
        body: { ...edgeInputSchema, examples: [{ type: 'OWNS', from: 'acme-co', to: 'db-replica-3', attributes: { since: '2026-01' } }] },
        response: { 201: withReceipt(edgeSchema, 'Created: the edge, and its receipt.'), ...errorResponses(404) },
      },
      schemaErrorFormatter: bodyErrorsAs({ '/': 'EDGE_INVALID' }),
      config: {
        gate: {
          privileged: true,
          action: 'update',
          lock: (request) => {
            const { from, to } = checkEdgeInput(request.body, 'body');
            return [entityKey(request.principal!.tenant, from), entityKey(request.principal!.tenant, to)];
          },
          resource: async (request) => asResource(await findEntity(deps.entities, request.principal!.tenant, checkEdgeInput(request.body, 'body').from)),
          // The edge changes its other end too: that one is decided as well (a missing end is the handler's EDGE_INVALID).
          produces: (request) => liveResources(deps.entities, request.principal!.tenant, [checkEdgeInput(request.body, 'body').to]),
        },
      },
    },
    async (request, reply) => {
      const [edge] = await deps.entities.createEdges(
        request.principal!.tenant, [checkEdgeInput(request.body, 'body')], request.gate!.principalId,
        (tx, [written]) => request.receiptIn!(tx, JSON.stringify(written)),
      );
      return reply.code(201).send({ ...edge, receipt_id: request.receipt!.id });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { depth: number; direction: 'out' | 'in' | 'both' } }>(
    '/v1/entities/:id/lineage',
    {
      schema: {
        operationId: 'getEntityLineage',
        summary: 'Walk the graph around an entity',
        description:
          'The entities within `depth` hops of this one, breadth first along edges in `direction`, each with its distance, and the edges between them. ' +
          'Decided as a read of the root; only entities the caller may read by id are shown or walked through. Not receipted.',
        tags: ['entities'],
        params: entityIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            depth: { type: 'integer', minimum: 1, maximum: 10, default: 2, description: 'Hops from the root.' },
            direction: { type: 'string', enum: ['out', 'in', 'both'], default: 'both', description: 'Along edges leaving (`out`) or reaching (`in`) each entity, or both.' },
          },
        },
        response: { 200: lineageSchema, ...errorResponses(404) },
      },
      config: { gate: { action: 'read', resource: byId } },
    },
    // Each entity of the walk is decided as a read of it by id would be.
    async (request) => readableLineage(request, await traverse(deps.entities, loadedEntity(request), request.query.depth, request.query.direction)),
  );
}
