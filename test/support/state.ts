import { afterEach, beforeEach } from 'vitest';
import { DuckDBStateStore, ensureStateSchema, type StateStore } from '../../kernel/state/index.ts';
import { TABLES, type TableDefinition } from '../../kernel/warehouse/index.ts';

/** A fresh in-memory state store with the kernel's tables (and `extra`) for each test. */
export function useStateStore(extra: readonly TableDefinition[] = []): { readonly state: StateStore } {
  let state: StateStore;
  beforeEach(async () => {
    state = await DuckDBStateStore.open(':memory:', [...TABLES, ...extra]);
    await ensureStateSchema(state);
  });
  afterEach(() => state.close());
  return {
    get state() {
      return state;
    },
  };
}
