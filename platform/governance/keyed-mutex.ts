/**
 * Serializes async work per key within this process: the platform is its
 * warehouse's only writer, so one process-wide queue per key is enough to give
 * every read-check-write on an entity a single winner.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Waits for every key, taken in sorted order so that two callers asking for
   * overlapping keys cannot deadlock; resolves with the release (safe to call twice).
   */
  async acquire(keys: Iterable<string>): Promise<() => void> {
    const releases: (() => void)[] = [];
    for (const key of [...new Set(keys)].sort()) releases.push(await this.lockOne(key));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const release of releases.reverse()) release();
    };
  }

  /** Keys someone holds or waits for (for tests). */
  get size(): number {
    return this.tails.size;
  }

  private async lockOne(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let unlock!: () => void;
    const mine = new Promise<void>((resolve) => (unlock = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      unlock();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

/** The lock key of an entity: ids are scoped by tenant, so the tenant is part of it. */
export function entityKey(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`;
}
