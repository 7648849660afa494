import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ResourceAttributes } from '../../../kernel/policies/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { Entity } from '../../../platform/governance/index.ts';
import type { EntityStore } from '../../../platform/governance/index.ts';
import { entityKey } from '../../../platform/governance/index.ts';

const loaded = new WeakMap<FastifyRequest, Entity>();

/**
 * The caller's tenant's entity named by `:id`, as the policy engine sees it; 404 when there is none,
 * whether or not another tenant has one by that id (the engine is never asked about it). The handler
 * gets it from `loadedEntity`.
 */
export function entityResource(entities: EntityStore) {
  return async (request: FastifyRequest): Promise<ResourceAttributes> => {
    const id = (request.params as { id: string }).id;
    const entity = await findEntity(entities, request.principal!.tenant, id);
    loaded.set(request, entity);
    return asResource(entity);
  };
}

/** The tenant's entity, or the 404 every caller gets for an id the tenant does not have. */
export async function findEntity(entities: EntityStore, tenant: string, id: string): Promise<Entity> {
  const entity = await entities.get(tenant, id);
  if (!entity) throw new DomainError('ENTITY_NOT_FOUND', `No entity ${id}.`);
  return entity;
}

/** The tenant's live entities among `ids`, as the policy engine sees them (for `GatedRoute.produces`). */
export async function liveResources(entities: EntityStore, tenant: string, ids: readonly string[]): Promise<ResourceAttributes[]> {
  return (await entities.getMany(tenant, [...new Set(ids)])).map(asResource);
}

/** The lock of the entity named by `:id` in the caller's tenant (`GatedRoute.lock`). */
export function entityLock(request: FastifyRequest): string[] {
  return [entityKey(request.principal!.tenant, (request.params as { id: string }).id)];
}

/** The entity `entityResource` found for this request. */
export function loadedEntity(request: FastifyRequest): Entity {
  const entity = loaded.get(request);
  if (!entity) throw new Error(`${request.routeOptions.url} reads an entity its gate did not load`);
  return entity;
}

/** What a receipt names as acted on: the entity, digested as its new state. */
export function entityTarget(entity: Entity, state: unknown = entity): { name: string; sha256: string } {
  return { name: `${entity.type}/${entity.id}`, sha256: createHash('sha256').update(JSON.stringify(state)).digest('hex') };
}

export function asResource(entity: Entity): ResourceAttributes {
  return { id: entity.id, tenant: entity.tenant, kind: entity.type, data_class: entity.data_class, region: entity.region };
}
