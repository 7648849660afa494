import type { FastifyInstance } from 'fastify';
import { checkEdgeInput } from '../entities/entity-model.ts';
import { asResource, entityLock, entityResource, findEntity, liveResources, loadedEntity } from '../entities/entity-resource.ts';
import { entityKey } from '../entities/keyed-mutex.ts';
import type { EntityStore } from '../entities/entity-store.ts';
import { traverse } from '../entities/lineage.ts';
import { readableLineage } from '../policy/readable-lineage.ts';
import { created, gatedErrorReplies } from '../route-schemas.ts';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 128 } } } as const;

/** The edges between entities: relations, entitlements (ENTITLED_TO) and lineage traversal. */
export function graphRoutes(app: FastifyInstance, deps: { entities: EntityStore }): void {
  const byId = entityResource(deps.entities);

  app.post<{ Params: { id: string }; Body: { subjectId: string; entitlement: string; expiresAt?: string } }>(
    '/v1/entities/:id/entitlements',
    {
      schema: {
        summary: 'Entitle a person, company or tenant to this entity: an ENTITLED_TO edge (privileged: receipted)',
        tags: ['entities'],
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['subjectId', 'entitlement'],
          properties: { subjectId: { type: 'string', maxLength: 128 }, entitlement: { type: 'string', minLength: 1, maxLength: 200 }, expiresAt: { type: 'string', format: 'date-time' } },
        },
        response: { ...created, ...gatedErrorReplies },
      },
      config: {
        gate: {
          privileged: true,
          action: 'grant',
          lock: (request) => [...entityLock(request), entityKey(request.principal!.tenant, (request.body as { subjectId: string }).subjectId)],
          resource: byId,
          // The subject gains the edge too: it is decided as well.
          produces: (request) => liveResources(deps.entities, request.principal!.tenant, [(request.body as { subjectId: string }).subjectId]),
        },
      },
    },
    async (request, reply) => {
      const entity = loadedEntity(request);
      const { subjectId, entitlement, expiresAt } = request.body;
      const [edge] = await deps.entities.createEdges(
        entity.tenant,
        [{ type: 'ENTITLED_TO', from: subjectId, to: entity.id, attributes: { entitlement, ...(expiresAt ? { expiresAt } : {}) } }],
        request.gate!.principalId,
      );
      request.receipt!.rollback = () => deps.entities.removeEdges([edge!], `rollback:${request.receipt!.id}`);
      return reply.code(201).send({ ...edge, receiptId: request.receipt!.id });
    },
  );

  app.post(
    '/v1/edges',
    {
      schema: { summary: 'Relate two entities of the tenant: OWNS, MEMBER_OF, ENTITLED_TO, TRIGGERS, EMITS, GOVERNS, BILLS_TO (privileged: receipted)', tags: ['entities'], body: { type: 'object' }, response: { ...created, ...gatedErrorReplies } },
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
      const [edge] = await deps.entities.createEdges(request.principal!.tenant, [checkEdgeInput(request.body, 'body')], request.gate!.principalId);
      request.receipt!.rollback = () => deps.entities.removeEdges([edge!], `rollback:${request.receipt!.id}`);
      return reply.code(201).send({ ...edge, receiptId: request.receipt!.id });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { depth: number; direction: 'out' | 'in' | 'both' } }>(
    '/v1/entities/:id/lineage',
    {
      schema: {
        summary: 'The graph around an entity, breadth first to `depth` hops: nodes with their distance, and the edges between them',
        tags: ['entities'],
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { depth: { type: 'integer', minimum: 1, maximum: 10, default: 2 }, direction: { type: 'string', enum: ['out', 'in', 'both'], default: 'both' } },
        },
        response: gatedErrorReplies,
      },
      config: { gate: { action: 'read', resource: byId } },
    },
    // Each entity of the walk is decided as a read of it by id would be.
    async (request) => readableLineage(request, await traverse(deps.entities, loadedEntity(request), request.query.depth, request.query.direction)),
  );
}
