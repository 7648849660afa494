import { timeOrderedId } from '../../../kernel/ids/index.ts';
import type { StateStore } from '../../../kernel/state/index.ts';
import type { Row, SqlValue } from '../../../kernel/warehouse/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { EntityCache } from './entity-cache.ts';
import type { InSameTransaction } from '../in-same-transaction.ts';
import type { Edge, EdgeInput, EdgeType, Entity, EntityInput, EntityType } from './entity-model.ts';

/** The latest version of each of a tenant's entities that `where` (on `entities`) selects, tombstones included. */
function latestEntities(where: string): string {
  return `SELECT DISTINCT ON (entity_id) entity_id AS id_, tenant_id AS tenant_, version AS version_, entity_type AS type_, name AS name_,
    data_class AS class_, region AS region_, attributes AS attributes_, deleted AS deleted_, recorded_at AS updated_
  FROM entities WHERE tenant_id = ?${where} ORDER BY entity_id, version DESC`;
}

function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function isConflict(error: unknown): boolean {
  return error instanceof DomainError && error.code === 'STATE_CONFLICT';
}

/**
 * Entities and edges, one row per version: an update or delete appends, the
 * highest version wins, a tombstone (`deleted` = 1) hides. Rolling back an
 * action appends the state before it, so history shows both. An entity is
 * (tenant, id): two tenants may use the same id, and neither sees the other's.
 * Versions grow by one per write, and the state store's unique key on
 * (tenant, entity, version) lets one writer take each: a write racing another
 * for the same version is refused as stale, whichever process made it. Writers
 * in this process also hold the entity's lock (`KeyedMutex`, `entityKey`)
 * across read, version check and write, so they queue instead of failing.
 */
export class EntityStore {
  private readonly cache: EntityCache;

  constructor(
    private readonly state: StateStore,
    private readonly defaultRegion: string,
  ) {
    this.cache = new EntityCache(state.soleWriter);
  }

  /** Creates entities; refuses the whole batch when an id is already taken in the tenant (deleted ones included: ids are not reused). */
  async create(tenant: string, inputs: readonly EntityInput[], by: string, also?: InSameTransaction<readonly Entity[]>): Promise<Entity[]> {
    const now = new Date();
    const entities = inputs.map((input): Entity => ({
      id: input.id ?? timeOrderedId(),
      tenant,
      type: input.type,
      name: input.name,
      data_class: input.data_class ?? 'internal',
      region: input.region ?? this.defaultRegion,
      attributes: input.attributes ?? {},
      version: 1,
      updated_at: now.toISOString(),
    }));
    const ids = entities.map((e) => e.id);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate) throw new DomainError('ENTITY_INVALID', `The id ${duplicate} appears twice in the batch.`);
    const given = inputs.filter((input) => input.id).map((input) => input.id!);
    const taken = await this.existingIds(tenant, given);
    if (taken.length > 0) throw new DomainError('ENTITY_EXISTS', `Taken: ${taken.slice(0, 5).join(', ')}${taken.length > 5 ? ` and ${taken.length - 5} more` : ''}.`);
    try {
      await this.writeVersions(entities, by, now, 0, also);
    } catch (error) {
      if (!isConflict(error)) throw error;
      const raced = await this.existingIds(tenant, ids);
      throw new DomainError('ENTITY_EXISTS', `Taken meanwhile: ${raced.slice(0, 5).join(', ')}.`);
    }
    return entities;
  }

  /** The tenant's entity `id` as it is now; undefined when the tenant has none (whatever other tenants hold) or it was deleted. */
  async get(tenant: string, id: string): Promise<Entity | undefined> {
    const cached = this.cache.get(tenant, id);
    if (cached !== undefined) return cached ?? undefined;
    const [row] = await this.state.query(latestEntities(' AND entity_id = ?'), [tenant, id]);
    const entity = row && Number(row.deleted_) === 0 ? toEntity(row) : undefined;
    // An id never written is not cached: it may be created any moment.
    if (row) this.cache.fill(tenant, id, entity ?? null, Number(row.version_));
    return entity;
  }

  async list(tenant: string, filter: { type?: EntityType; after?: string; limit: number }): Promise<Entity[]> {
    const params: SqlValue[] = [tenant];
    let where = '';
    if (filter.after) {
      where += ' AND entity_id > ?';
      params.push(filter.after);
    }
    let live = 'deleted_ = 0';
    if (filter.type) {
      live += ' AND type_ = ?';
      params.push(filter.type);
    }
    // The limit is a parameter: one text for every page size (the PostgreSQL store names only texts asked for again).
    const rows = await this.state.query(`SELECT * FROM (${latestEntities(where)}) latest WHERE ${live} ORDER BY id_ LIMIT ?`, [...params, Math.trunc(filter.limit)]);
    return rows.map(toEntity);
  }

  /** Current states of `ids` within a tenant (deleted ones left out). */
  async getMany(tenant: string, ids: readonly string[]): Promise<Entity[]> {
    const found: Entity[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const cached = this.cache.get(tenant, id);
      if (cached === undefined) missing.push(id);
      else if (cached) found.push(cached);
    }
    if (missing.length === 0) return found;
    const rows = await this.state.query(`SELECT * FROM (${latestEntities(` AND entity_id IN (${placeholders(missing)})`)}) latest WHERE deleted_ = 0`, [tenant, ...missing]);
    return [...found, ...rows.map(toEntity)];
  }

  /** Appends `next` as the version after `current`; refuses when `current` is no longer the latest (the caller holds the entity's lock). */
  async update(current: Entity, next: Omit<Entity, 'version' | 'updated_at'>, by: string, also?: InSameTransaction<readonly Entity[]>): Promise<Entity> {
    await this.expectLatest(current);
    const now = new Date();
    const entity = { ...next, tenant: current.tenant, id: current.id, version: current.version + 1, updated_at: now.toISOString() };
    await this.writeNext(current, [entity], by, now, 0, also);
    return entity;
  }

  /** Appends a tombstone after `current`; refuses when `current` is no longer the latest. Answers the tombstone's version. */
  async delete(current: Entity, by: string, also?: InSameTransaction<readonly Entity[]>): Promise<number> {
    await this.expectLatest(current);
    const version = current.version + 1;
    await this.writeNext(current, [{ ...current, version }], by, new Date(), 1, also);
    return version;
  }

  /**
   * Puts back what an action changed: `before` undefined means the entities did not exist.
   * Appends above the highest version stored, so versions only grow, whatever happened since.
   */
  async restore(after: readonly Entity[], before: Entity | undefined, by: string): Promise<void> {
    const now = new Date();
    const tenant = after[0]!.tenant;
    const top = await this.highestVersions(tenant, after.map((e) => e.id));
    const next = (e: Entity) => Math.max(top.get(e.id) ?? 0, e.version) + 1;
    if (before) await this.writeVersions([{ ...before, version: next(after[0]!) }], by, now);
    else await this.writeVersions(after.map((e) => ({ ...e, version: next(e) })), by, now, 1);
  }

  /** Writes the version after `current`; another writer having taken it first is a stale write. */
  private async writeNext(current: Entity, next: readonly Entity[], by: string, at: Date, deleted = 0, also?: InSameTransaction<readonly Entity[]>): Promise<void> {
    try {
      await this.writeVersions(next, by, at, deleted, also);
    } catch (error) {
      if (!isConflict(error)) throw error;
      this.cache.forget(current.tenant, current.id);
      const latest = await this.get(current.tenant, current.id);
      throw latest ? versionConflict(latest) : new DomainError('ENTITY_NOT_FOUND', `No entity ${current.id}.`);
    }
  }

  /** The stored version of each id, tombstones included. */
  private async highestVersions(tenant: string, ids: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.state.query(
      `SELECT entity_id AS id_, max(version) AS version_ FROM entities WHERE tenant_id = ? AND entity_id IN (${placeholders(ids)}) GROUP BY entity_id`,
      [tenant, ...ids],
    );
    return new Map(rows.map((row) => [String(row.id_), Number(row.version_)]));
  }

  private async expectLatest(current: Entity): Promise<void> {
    const latest = await this.get(current.tenant, current.id);
    if (!latest) throw new DomainError('ENTITY_NOT_FOUND', `No entity ${current.id}.`);
    if (latest.version !== current.version) throw versionConflict(latest);
  }

  async createEdges(tenant: string, inputs: readonly EdgeInput[], by: string, also?: InSameTransaction<readonly Edge[]>): Promise<Edge[]> {
    const ends = [...new Set(inputs.flatMap((edge) => [edge.from, edge.to]))];
    const found = new Set((await this.getMany(tenant, ends)).map((e) => e.id));
    const missing = ends.filter((id) => !found.has(id));
    if (missing.length > 0) throw new DomainError('EDGE_INVALID', `No entity ${missing.slice(0, 5).join(', ')} in this tenant.`);
    const edges = inputs.map((input): Edge => ({ id: timeOrderedId(), tenant, type: input.type, from: input.from, to: input.to, attributes: input.attributes ?? {} }));
    await this.writeEdges(edges, by, 0, also);
    return edges;
  }

  async removeEdges(edges: readonly Edge[], by: string): Promise<void> {
    await this.writeEdges(edges, by, 1);
  }

  /** Live edges touching any of `ids` (both ends must be live entities). */
  async edgesAround(tenant: string, ids: readonly string[]): Promise<Edge[]> {
    if (ids.length === 0) return [];
    const list = placeholders(ids);
    const rows = await this.state.query(
      `SELECT DISTINCT ON (edge_id) edge_id AS id_, edge_type AS type_, src_id AS src_, dst_id AS dst_, attributes AS attributes_, deleted AS deleted_
       FROM entity_edges WHERE tenant_id = ? AND (src_id IN (${list}) OR dst_id IN (${list})) ORDER BY edge_id, version DESC`,
      [tenant, ...ids, ...ids],
    );
    return rows
      .filter((row) => Number(row.deleted_) === 0)
      .map((row) => ({
        id: String(row.id_),
        tenant,
        type: String(row.type_) as EdgeType,
        from: String(row.src_),
        to: String(row.dst_),
        attributes: JSON.parse(String(row.attributes_)) as Record<string, unknown>,
      }));
  }

  private async existingIds(tenant: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.state.query(`SELECT DISTINCT entity_id FROM entities WHERE tenant_id = ? AND entity_id IN (${placeholders(ids)})`, [tenant, ...ids]);
    return rows.map((row) => String(row.entity_id));
  }

  private async writeVersions(entities: readonly Entity[], by: string, at: Date, deleted = 0, also?: InSameTransaction<readonly Entity[]>): Promise<void> {
    // Forgotten first: if the write fails, the next read asks the store.
    for (const e of entities) this.cache.forget(e.tenant, e.id);
    await this.state.transaction(async (tx) => {
      await tx.insert('entities', entities.map((e) => ({
        tenant_id: e.tenant, entity_id: e.id, version: e.version, entity_type: e.type, name: e.name, data_class: e.data_class, region: e.region,
        attributes: JSON.stringify(e.attributes), deleted, recorded_by: by, recorded_at: at,
      })));
      await also?.(tx, entities);
    });
    for (const e of entities) this.cache.set(e.tenant, e.id, deleted ? null : { ...e, updated_at: at.toISOString() }, e.version);
  }

  private async writeEdges(edges: readonly Edge[], by: string, deleted: number, also?: InSameTransaction<readonly Edge[]>): Promise<void> {
    const at = new Date();
    // A tombstone outranks the edge it removes: versions are the write time in microseconds.
    const version = at.getTime() * 1000 + deleted;
    await this.state.transaction(async (tx) => {
      await tx.insert('entity_edges', edges.map((e) => ({
        tenant_id: e.tenant, edge_id: e.id, version, edge_type: e.type, src_id: e.from, dst_id: e.to, attributes: JSON.stringify(e.attributes),
        deleted, recorded_by: by, recorded_at: at,
      })));
      await also?.(tx, edges);
    });
  }
}

/** A stale write: the caller saw another version than the latest. */
export function versionConflict(latest: Entity): DomainError {
  return new DomainError('ENTITY_VERSION_CONFLICT', `${latest.id} is at version ${latest.version}; read it again and retry.`, { current_version: latest.version });
}

function toEntity(row: Row): Entity {
  return {
    id: String(row.id_),
    tenant: String(row.tenant_),
    type: String(row.type_) as EntityType,
    name: String(row.name_),
    data_class: String(row.class_),
    region: String(row.region_),
    attributes: JSON.parse(String(row.attributes_)) as Record<string, unknown>,
    version: Number(row.version_),
    updated_at: (row.updated_ as Date).toISOString(),
  };
}
