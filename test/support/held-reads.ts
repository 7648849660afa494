import type { StateStore } from '../../kernel/state/index.ts';

/**
 * `state` with one read held back: after `hold()`, the next read whose SQL `matches` runs at once
 * but answers only at `release()` — a read that began before a write and answers after it.
 * `reached()` resolves once that read has been answered by the store (and is being held).
 */
export function heldReads(state: StateStore, matches: (sql: string) => boolean) {
  let held: Promise<void> | undefined;
  let release = () => undefined as void;
  let reached: Promise<void> | undefined;
  let markReached = () => undefined as void;
  const store: StateStore = {
    engine: state.engine, soleWriter: state.soleWriter, location: state.location, tables: state.tables,
    transaction: (work) => state.transaction(work),
    snapshot: (work) => state.snapshot(work),
    reclaim: (tables) => state.reclaim(tables),
    close: () => state.close(),
    async query(sql, params) {
      const wait = matches(sql) ? held : undefined;
      if (wait) held = undefined;
      let rows: unknown;
      try {
        rows = await state.query(sql, params);
      } finally {
        if (wait) markReached();
      }
      if (wait) await wait;
      return rows as never;
    },
  };
  return {
    store,
    hold(): void {
      held = new Promise<void>((resolve) => (release = resolve));
      reached = new Promise<void>((resolve) => (markReached = resolve));
    },
    reached(): Promise<void> {
      if (!reached) throw new Error('reached() before hold()');
      return reached;
    },
    release(): void {
      release();
    },
  };
}
