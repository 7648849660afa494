import type { Entity } from './entity-model.ts';

/**
 * The latest state of recently used entities, kept by the one process that
 * writes them (the platform owns its warehouse), so the gate's per-request
 * lookup is not a warehouse scan. `null` records a deletion.
 */
export class EntityCache {
  private readonly entries = new Map<string, Entity | null>();

  constructor(private readonly capacity = 200_000) {}

  /** The cached state: an entity, `null` when deleted, undefined when not cached. */
  get(id: string): Entity | null | undefined {
    const value = this.entries.get(id);
    if (value === undefined) return undefined;
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(id);
    this.entries.set(id, value);
    return value;
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  set(id: string, value: Entity | null): void {
    this.entries.delete(id);
    this.entries.set(id, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
