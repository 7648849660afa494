import { createHash } from 'node:crypto';
import { receiptIdHeader, receiptIdSchema } from '../../../surfaces/http/kit/index.ts';
import type { FastifyInstance } from 'fastify';
import { checkEdgeInput, checkEntityInput, DATA_CLASSES, ENTITY_TYPES, type EntityType } from '../../../platform/governance/index.ts';
import { bodyErrorsAs } from '../../../surfaces/http/kit/index.ts';
import { asResource, entityLock, entityResource, entityTarget, liveResources, loadedEntity } from './entity-resource.ts';
import {
  edgeInputSchema, entityIdParams, entityInputSchema, entityPatchSchema, entitySchema, etagHeader, ifMatchHeaders, withReceipt,
} from './entity-schemas.ts';
import type { EntityStore } from '../../../platform/governance/index.ts';
import { checkVersion, expectedVersion, planPatch, sameState } from './entity-write.ts';
import { entityKey } from '../../../platform/governance/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { errorResponses } from '../../../surfaces/http/kit/index.ts';
import { readablePage } from '../../../surfaces/http/kit/index.ts';
import { pendingApprovalSchema } from '../../../surfaces/http/kit/index.ts';

export interface EntityRouteDeps {
  entities: EntityStore;
  /** Where new entities live unless they say otherwise. */
  region: string;
}

const MAX_BATCH = 5_000;

/** Entities: Person, Company, Asset, Workflow, Policy, Tenant, Invoice, Runbook, Incident (their edges: `graph.ts`). */
export function entityRoutes(app: FastifyInstance, deps: EntityRouteDeps): void {
  const byId = entityResource(deps.entities);

  app.post(
    '/v1/entities',
    {
      schema: {
        operationId: 'createEntity',
        summary: 'Create an entity',
        description:
          "Creates a Person, Company, Asset, Workflow, Policy, Tenant, Invoice, Runbook or Incident in the caller's tenant, decided on the entity as it would be stored " +
          '(writers, operators, admins). Privileged: the answer carries the receipt appended to the tenant\'s ledger.',
        tags: ['entities'],
        body: { ...entityInputSchema, examples: [{ id: 'db-replica-3', type: 'Asset', name: 'db-replica-3', data_class: 'confidential', region: 'eu-west-1', attributes: { rack: 'r7' } }] },
        response: { 201: withReceipt(entitySchema, 'Created: the entity at version 1, and its receipt.'), ...errorResponses(409) },
      },
      schemaErrorFormatter: bodyErrorsAs({ '/': 'ENTITY_INVALID' }),
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
            return { id: input.id ?? '(new)', tenant: request.principal!.tenant, kind: input.type, data_class: input.data_class ?? 'internal', region: input.region ?? deps.region };
          },
        },
      },
    },
    async (request, reply) => {
      const [entity] = await deps.entities.create(request.principal!.tenant, [checkEntityInput(request.body, 'body')], request.gate!.principalId, (tx, [created]) => {
        request.receipt!.target = entityTarget(created!);
        return request.receiptIn!(tx, '');
      });
      return reply.code(201).send({ ...entity, receipt_id: request.receipt!.id });
    },
  );

  app.post<{ Body: { entities?: unknown[]; edges?: unknown[] } }>(
    // "::" is a literal colon in a Fastify path.
    '/v1/entities::batch',
    {
      schema: {
        operationId: 'createEntityBatch',
        summary: 'Create entities and edges in one call',
        description:
          `Creates up to ${MAX_BATCH} entities and ${MAX_BATCH * 4} edges between them (or to the tenant's existing entities) all or nothing, decided on each entity as it would be stored ` +
          "and on every existing entity an edge reaches. Privileged: one receipt for the batch. An empty batch is refused (400 ENTITY_INVALID) before it is decided.",
        tags: ['entities'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            entities: { type: 'array', maxItems: MAX_BATCH, items: entityInputSchema },
            edges: { type: 'array', maxItems: MAX_BATCH * 4, items: edgeInputSchema, description: 'Edges between entities of the batch (by the ids given them) or the tenant\'s existing ones.' },
          },
          examples: [{
            entities: [{ id: 'acme-co', type: 'Company', name: 'Acme' }, { id: 'ann', type: 'Person', name: 'Ann', data_class: 'confidential' }],
            edges: [{ type: 'MEMBER_OF', from: 'ann', to: 'acme-co' }],
          }],
        },
        response: {
          201: {
            type: 'object',
            description: 'Created: how many entities and edges, the entities\' ids in the order sent, and the receipt.',
            headers: receiptIdHeader,
            required: ['created', 'edges', 'ids', 'receipt_id'],
            properties: {
              created: { type: 'integer', description: 'Entities created.' },
              edges: { type: 'integer', description: 'Edges created.' },
              ids: { type: 'array', items: { type: 'string' }, description: "The created entities' ids, in the order sent (generated ones included)." },
              receipt_id: receiptIdSchema,
            },
          },
          ...errorResponses(409),
        },
      },
      schemaErrorFormatter: bodyErrorsAs({ '/entities/': 'ENTITY_INVALID', '/edges/': 'EDGE_INVALID' }),
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
            if (!body.entities?.length && !body.edges?.length) throw new DomainError('ENTITY_INVALID', 'The batch is empty: send entities, edges or both.');
            const inputs = (body.entities ?? []).map((e, i) => checkEntityInput(e, `entities[${i}]`));
            // The batch is as sensitive as its most sensitive entity.
            const top = inputs.reduce((max, e) => Math.max(max, DATA_CLASSES.indexOf((e.data_class ?? 'internal') as never)), 0);
            const restricted = inputs.find((e) => e.data_class === 'restricted');
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
              ...inputs.map((input) => ({ id: input.id ?? '(new)', tenant, kind: input.type, data_class: input.data_class ?? 'internal', region: input.region ?? deps.region })),
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
      return reply.code(201).send({ created: created.length, edges: edges.length, ids: created.map((e) => e.id), receipt_id: request.receipt!.id });
    },
  );

  app.get<{ Querystring: { type?: EntityType; after?: string; limit: number } }>(
    '/v1/entities',
    {
      schema: {
        operationId: 'listEntities',
        summary: "List the tenant's entities",
        description:
          "The caller's tenant's entities in id order, `limit` a page; pass `next_after` as `after` for the next. The list is decided as a read of the tenant's directory " +
          'and shows exactly the entities a read by id would (any role that may read; hidden ones neither shorten a page nor end the paging). Not receipted.',
        tags: ['entities'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', enum: [...ENTITY_TYPES], description: 'Only entities of this type.' },
            after: { type: 'string', maxLength: 128, description: 'The `next_after` of the page before: entities with a greater id.' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            description: 'One page of entities.',
            required: ['entities', 'next_after'],
            properties: {
              entities: { type: 'array', items: entitySchema },
              next_after: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null on the last page.' },
            },
          },
        },
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
      schema: {
        operationId: 'getEntity',
        summary: 'Read an entity',
        description:
          "An entity of the caller's tenant at its latest version, decided as a read of it (another tenant's id answers 404 as one that exists nowhere). " +
          'Its ETag is its version, for If-Match. Not receipted.',
        tags: ['entities'],
        params: entityIdParams,
        response: { 200: { ...entitySchema, description: 'The entity.', headers: etagHeader }, ...errorResponses(404) },
      },
      config: { gate: { action: 'read', resource: byId } },
    },
    (request, reply) => {
      const entity = loadedEntity(request);
      return reply.header('etag', `"${entity.version}"`).send(entity);
    },
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; data_class?: string; region?: string; attributes?: Record<string, unknown> } }>(
    '/v1/entities/:id',
    {
      schema: {
        operationId: 'updateEntity',
        summary: 'Change an entity',
        description:
          "Changes an entity's name, data class, region or attributes (writers, operators, admins); privileged: a change answers its receipt. " +
          'Send the version you read as `If-Match: "<version>"` (or `version` in the body): a stale one answers 409 ENTITY_VERSION_CONFLICT with `current_version`. ' +
          'Without it the change applies to the current version. The new state is decided too (a data class or region the caller may not hold is refused); ' +
          'id, type and tenant cannot change (400 ENTITY_FIELD_IMMUTABLE). A change to the same values answers the entity, with no new version and no receipt (`receipt_id` null).',
        tags: ['entities'],
        params: entityIdParams,
        headers: ifMatchHeaders,
        body: entityPatchSchema,
        response: {
          200: {
            ...entitySchema,
            description: 'The entity as it is now, and the receipt of the change (null when nothing changed).',
            headers: { ...etagHeader, ...receiptIdHeader },
            required: [...entitySchema.required, 'receipt_id'],
            properties: { ...entitySchema.properties, receipt_id: { ...receiptIdSchema, type: ['string', 'null'], description: 'The receipt of the change; null when the values sent were the current ones (nothing changed, nothing receipted).' } },
          },
          ...errorResponses(404, 409),
        },
      },
      schemaErrorFormatter: bodyErrorsAs({ '/': 'ENTITY_INVALID' }),
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
        return reply.header('etag', `"${current.version}"`).send({ ...current, receipt_id: null });
      }
      const next = await deps.entities.update(current, planned, request.gate!.principalId, (tx, [written]) => {
        request.receipt!.target = entityTarget(written!);
        return request.receiptIn!(tx, '');
      });
      return reply.header('etag', `"${next.version}"`).send({ ...next, receipt_id: request.receipt!.id });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/entities/:id',
    {
      schema: {
        operationId: 'deleteEntity',
        summary: 'Delete an entity (dual control)',
        description:
          'Dual-controlled (operators, admins): answers 202 pending approval until someone other than the requester approves (`POST /v1/approvals`); asked again within 24 hours, ' +
          'it deletes and answers 200 with its receipt. An approval allows one delete. `If-Match: "<version>"` (or `version` in a JSON body) refuses the delete with ' +
          '409 ENTITY_VERSION_CONFLICT when the entity has changed since.',
        tags: ['entities'],
        params: entityIdParams,
        headers: ifMatchHeaders,
        response: {
          200: {
            type: 'object',
            description: 'Deleted: the tombstone\'s version, who asked and who approved, and the receipt.',
            headers: receiptIdHeader,
            required: ['deleted', 'entity_id', 'version', 'requested_by', 'approvers', 'receipt_id'],
            properties: {
              deleted: { type: 'boolean', enum: [true] },
              entity_id: { type: 'string' },
              version: { type: 'integer', description: 'The version of the tombstone (the last version plus one).' },
              requested_by: { type: 'string', description: 'The principal that deleted it (`<tenant>/<subject>`).' },
              approvers: { type: 'array', items: { type: 'string' }, description: 'The principals whose approval allowed it.' },
              receipt_id: receiptIdSchema,
            },
          },
          202: pendingApprovalSchema,
          // A body is optional (`version`), but one that is sent is parsed: too large or not JSON answers as on any route with a body.
          ...errorResponses(404, 409, 413, 415),
        },
      },
      config: { gate: { privileged: true, action: 'delete', lock: entityLock, resource: byId } },
    },
    async (request) => {
      const entity = loadedEntity(request);
      checkVersion(entity, expectedVersion(request));
      const version = await deps.entities.delete(entity, request.gate!.principalId, (tx) => {
        request.receipt!.target = entityTarget(entity, { ...entity, deleted: true });
        return request.receiptIn!(tx, '');
      });
      return { deleted: true, entity_id: entity.id, version, requested_by: request.gate!.principalId, approvers: request.gate!.approvers, receipt_id: request.receipt!.id };
    },
  );
}
