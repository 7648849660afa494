import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { checkEdgeInput, checkEntityInput, DATA_CLASSES, ENTITY_TYPES, type EntityType } from '../entities/entity-model.ts';
import { asResource, entityLock, entityResource, entityTarget, liveResources, loadedEntity } from '../entities/entity-resource.ts';
import type { EntityStore } from '../entities/entity-store.ts';
import { checkVersion, expectedVersion, planPatch, sameState } from '../entities/entity-write.ts';
import { entityKey } from '../entities/keyed-mutex.ts';
import { ApiError } from '../errors.ts';
import { readablePage } from '../policy/authorize.ts';
import { created, gatedErrorReplies } from '../route-schemas.ts';

export interface EntityRouteDeps {
  entities: EntityStore;
  /** Where new entities live unless they say otherwise. */
  region: string;
}

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 128 } } } as const;
const MAX_BATCH = 5_000;

/** Entities: Person, Company, Asset, Workflow, Policy, Tenant, Invoice, Runbook, Incident (their edges: `graph.ts`). */
export function entityRoutes(app: FastifyInstance, deps: EntityRouteDeps): void {
  const byId = entityResource(deps.entities);

  app.post(
    '/v1/entities',
    {
      schema: { summary: 'Create an entity (privileged: receipted)', tags: ['entities'], body: { type: 'object' }, response: { ...created, ...gatedErrorReplies } },
      config: {
        gate: {
          privileged: true,
          action: 'create',
          lock: (request) => {
            const { id } = (request.body ?? {}) as { id?: unknown };
            return typeof id === 'string' ? [entityKey(request.principal!.tenant, id)] : [];
          },
          resource: (request) => {
            const input = checkEntityInput(request.body, 'body');
            return { id: input.id ?? '(new)', tenant: request.principal!.tenant, kind: input.type, data_class: input.dataClass ?? 'internal', region: input.region ?? deps.region };
          },
        },
      },
    },
    async (request, reply) => {
      const [entity] = await deps.entities.create(request.principal!.tenant, [checkEntityInput(request.body, 'body')], request.gate!.principalId);
      request.receipt!.target = entityTarget(entity!);
      request.receipt!.rollback = () => deps.entities.restore([entity!], undefined, `rollback:${request.receipt!.id}`);
      return reply.code(201).send({ ...entity, receiptId: request.receipt!.id });
    },
  );

  app.post<{ Body: { entities?: unknown[]; edges?: unknown[] } }>(
    // "::" is a literal colon in a Fastify path.
    '/v1/entities::batch',
    {
      schema: {
        summary: `Create up to ${MAX_BATCH} entities and the edges between them in one call (privileged: one receipt)`,
        tags: ['entities'],
        body: { type: 'object', properties: { entities: { type: 'array', maxItems: MAX_BATCH }, edges: { type: 'array', maxItems: MAX_BATCH * 4 } } },
        response: { ...created, ...gatedErrorReplies },
      },
      config: {
        gate: {
          privileged: true,
          action: 'create',
          // The given ids and every edge end: no concurrent create of the same id, nor delete of an end.
          lock: (request) => {
            const body = request.body as { entities?: { id?: unknown }[]; edges?: { from?: unknown; to?: unknown }[] };
            const ids = [...(body.entities ?? []).map((e) => e?.id), ...(body.edges ?? []).flatMap((e) => [e?.from, e?.to])];
            return ids.filter((id): id is string => typeof id === 'string').map((id) => entityKey(request.principal!.tenant, id));
          },
          resource: (request) => {
            const body = request.body as { entities?: unknown[]; edges?: unknown[] };
            // A receipt means an effect: a batch with nothing in it is refused before it is decided.
            if (!body.entities?.length && !body.edges?.length) throw new ApiError('ENTITY_INVALID', 'The batch is empty: send entities, edges or both.');
            const inputs = (body.entities ?? []).map((e, i) => checkEntityInput(e, `entities[${i}]`));
            // The batch is as sensitive as its most sensitive entity.
            const top = inputs.reduce((max, e) => Math.max(max, DATA_CLASSES.indexOf((e.dataClass ?? 'internal') as never)), 0);
            const restricted = inputs.find((e) => e.dataClass === 'restricted');
            return { id: '(batch)', tenant: request.principal!.tenant, kind: 'EntityBatch', data_class: DATA_CLASSES[top]!, region: restricted?.region ?? deps.region };
          },
          // Each entity as it would be stored is decided too (a restricted one in another region than the first),
          // and so is every existing entity an edge of the batch reaches.
          produces: async (request) => {
            const tenant = request.principal!.tenant;
            const body = request.body as { entities?: unknown[]; edges?: unknown[] };
            const inputs = (body.entities ?? []).map((e, i) => checkEntityInput(e, `entities[${i}]`));
            const inBatch = new Set(inputs.map((input) => input.id));
            const ends = (body.edges ?? []).flatMap((e, i) => {
              const edge = checkEdgeInput(e, `edges[${i}]`);
              return [edge.from, edge.to];
            });
            const states = [
              ...inputs.map((input) => ({ id: input.id ?? '(new)', tenant, kind: input.type, data_class: input.dataClass ?? 'internal', region: input.region ?? deps.region })),
              ...(await liveResources(deps.entities, tenant, ends.filter((id) => !inBatch.has(id)))),
            ];
            const distinct = new Map(states.map((r) => [`${r.kind}\u0000${r.data_class}\u0000${r.region}`, r]));
            return [...distinct.values()];
          },
        },
      },
    },
    async (request, reply) => {
      const tenant = request.principal!.tenant;
      const by = request.gate!.principalId;
      const inputs = (request.body.entities ?? []).map((e, i) => checkEntityInput(e, `entities[${i}]`));
      const edgeInputs = (request.body.edges ?? []).map((e, i) => checkEdgeInput(e, `edges[${i}]`));
      const created = inputs.length > 0 ? await deps.entities.create(tenant, inputs, by) : [];
      let edges: Awaited<ReturnType<EntityStore['createEdges']>> = [];
      try {
        edges = edgeInputs.length > 0 ? await deps.entities.createEdges(tenant, edgeInputs, by) : [];
      } catch (error) {
        if (created.length > 0) await deps.entities.restore(created, undefined, by);
        throw error;
      }
      request.receipt!.target = {
        name: `entities/batch-${created.length}-${edges.length}`,
        sha256: createHash('sha256').update(JSON.stringify({ entities: created, edges })).digest('hex'),
      };
      request.receipt!.rollback = async () => {
        await deps.entities.removeEdges(edges, `rollback:${request.receipt!.id}`);
        await deps.entities.restore(created, undefined, `rollback:${request.receipt!.id}`);
      };
      return reply.code(201).send({ created: created.length, edges: edges.length, ids: created.map((e) => e.id), receiptId: request.receipt!.id });
    },
  );

  app.get<{ Querystring: { type?: EntityType; after?: string; limit: number } }>(
    '/v1/entities',
    {
      schema: {
        summary: "The caller's tenant's entities, by id; `after` pages",
        tags: ['entities'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { type: { type: 'string', enum: [...ENTITY_TYPES] }, after: { type: 'string', maxLength: 128 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
        response: gatedErrorReplies,
      },
      // The list is decided as the tenant's public directory; each entity in it as a read of it by id would be.
      config: { gate: { action: 'read', resource: (request) => ({ id: 'entities', tenant: request.principal!.tenant, kind: 'EntityList', data_class: 'public', region: deps.region }) } },
    },
    async (request) => {
      const { type, after, limit } = request.query;
      const page = await readablePage(request, (from, n) => deps.entities.list(request.principal!.tenant, { type, after: from, limit: n }), (e) => e.id, asResource, { after, limit });
      return { entities: page.items, next_after: page.next_after };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/entities/:id',
    {
      schema: { summary: 'An entity (policy-checked read); its ETag is its version, for If-Match', tags: ['entities'], params: idParams, response: gatedErrorReplies },
      config: { gate: { action: 'read', resource: byId } },
    },
    (request, reply) => {
      const entity = loadedEntity(request);
      return reply.header('etag', `"${entity.version}"`).send(entity);
    },
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; dataClass?: string; region?: string; attributes?: Record<string, unknown> } }>(
    '/v1/entities/:id',
    {
      schema: {
        summary: "Change an entity's name, data class, region or attributes (privileged: receipted)",
        description:
          'Send the version you read as `If-Match: "<version>"` (or `version` in the body): a stale one answers 409 ENTITY_VERSION_CONFLICT with `current_version`. ' +
          'Without it the change applies to the current version. The new state is decided too (a data class or region the caller may not hold is refused); ' +
          'id, type and tenant cannot change (400 ENTITY_FIELD_IMMUTABLE). A change to the same values answers the entity, with no new version and no receipt.',
        tags: ['entities'],
        params: idParams,
        body: { type: 'object' },
        response: gatedErrorReplies,
      },
      config: {
        gate: {
          privileged: true,
          action: 'update',
          lock: entityLock,
          resource: byId,
          produces: (request) => [asResource({ ...loadedEntity(request), ...planPatch(loadedEntity(request), request.body) })],
        },
      },
    },
    async (request, reply) => {
      const current = loadedEntity(request);
      checkVersion(current, expectedVersion(request));
      const planned = planPatch(current, request.body);
      if (sameState(current, planned)) {
        request.receipt!.unchanged = true;
        return reply.header('etag', `"${current.version}"`).send({ ...current, receiptId: null });
      }
      const next = await deps.entities.update(current, planned, request.gate!.principalId);
      request.receipt!.target = entityTarget(next);
      request.receipt!.rollback = () => deps.entities.restore([next], current, `rollback:${request.receipt!.id}`);
      return reply.header('etag', `"${next.version}"`).send({ ...next, receiptId: request.receipt!.id });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/entities/:id',
    {
      schema: {
        summary: 'Delete an entity: dual-controlled — 202 until someone else approves (POST /v1/approvals), then it deletes and answers with the receipt',
        description:
          'An approval allows one delete. `If-Match: "<version>"` (or `version` in the body) refuses the delete with 409 ENTITY_VERSION_CONFLICT when the entity has changed since.',
        tags: ['entities'],
        params: idParams,
        response: gatedErrorReplies,
      },
      config: { gate: { privileged: true, action: 'delete', lock: entityLock, resource: byId } },
    },
    async (request) => {
      const entity = loadedEntity(request);
      checkVersion(entity, expectedVersion(request));
      const version = await deps.entities.delete(entity, request.gate!.principalId);
      request.receipt!.target = entityTarget(entity, { ...entity, deleted: true });
      request.receipt!.rollback = () => deps.entities.restore([{ ...entity, version }], entity, `rollback:${request.receipt!.id}`);
      return { deleted: true, entityId: entity.id, version, requestedBy: request.gate!.principalId, approvers: request.gate!.approvers, receiptId: request.receipt!.id };
    },
  );
}
