import type { Entity } from './entity-model.ts';
import { entityKey } from '../keyed-mutex.ts';

/**
 * The latest state of recently used entities, kept by the one process that
 * writes them (the platform owns its warehouse), so the gate's per-request
 * lookup is not a warehouse scan. `null` records a deletion. Keyed by
 * (tenant, id): an entity's identity.
 */
export class EntityCache {
  private readonly entries = new Map<string, Entity | null>();

  constructor(private readonly capacity = 200_000) {}

  /** The cached state: an entity, `null` when deleted, undefined when not cached. */
  get(tenant: string, id: string): Entity | null | undefined {
    const key = entityKey(tenant, id);
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  forget(tenant: string, id: string): void {
    this.entries.delete(entityKey(tenant, id));
  }

  set(tenant: string, id: string, value: Entity | null): void {
    const key = entityKey(tenant, id);
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
