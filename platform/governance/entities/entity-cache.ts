import type { Entity } from './entity-model.ts';
import { entityKey } from '../keyed-mutex.ts';

interface Cached {
  /** `null` records a deletion. */
  value: Entity | null;
  /** The stored version it is (a tombstone's own version for a deletion). */
  version: number;
}

/**
 * The latest state of recently used entities, kept by the one process that
 * writes them (the platform owns its warehouse), so the gate's per-request
 * lookup is not a warehouse scan. Keyed by (tenant, id): an entity's identity.
 *
 * A writer sets what it committed; a reader only fills in what it read, and never over a
 * later version: a read that began before a write committed answers after it, and must not
 * put the old version back (a reclassified entity would be decided on its old class).
 */
export class EntityCache {
  private readonly entries = new Map<string, Cached>();

  /** `enabled` false (a state store other processes write too): nothing is kept, every lookup reads the store. */
  constructor(
    private readonly enabled = true,
    private readonly capacity = 200_000,
  ) {}

  /** The cached state: an entity, `null` when deleted, undefined when not cached. */
  get(tenant: string, id: string): Entity | null | undefined {
    if (!this.enabled) return undefined;
    const key = entityKey(tenant, id);
    const cached = this.entries.get(key);
    if (cached === undefined) return undefined;
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(key);
    this.entries.set(key, cached);
    return cached.value;
  }

  forget(tenant: string, id: string): void {
    this.entries.delete(entityKey(tenant, id));
  }

  /** What a writer committed: version `version` of the entity, or its tombstone (`null`). */
  set(tenant: string, id: string, value: Entity | null, version: number): void {
    if (!this.enabled) return;
    const key = entityKey(tenant, id);
    this.entries.delete(key);
    this.entries.set(key, { value, version });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** What a reader found: kept unless the cache already holds this version or a later one. */
  fill(tenant: string, id: string, value: Entity | null, version: number): void {
    const held = this.entries.get(entityKey(tenant, id));
    if (held && held.version >= version) return;
    this.set(tenant, id, value, version);
  }
}
