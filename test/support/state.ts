import { afterEach, beforeEach, inject } from 'vitest';
import { DuckDBStateStore, ensureStateSchema, PostgresStateStore, type StateStore } from '../../kernel/state/index.ts';
import { freshPostgresDatabase } from './postgres.ts';
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

/**
 * Two platform processes' view of one state store holding `tables`: on DuckDB one store (one process holds an embedded
 * store: two services of it, or the process before a restart and the one after), on PostgreSQL each its own connection
 * to a fresh database (the suite's server, `inject('postgresUrl')`).
 */
export async function twoProcesses(engine: 'duckdb' | 'postgresql', tables: readonly TableDefinition[]): Promise<{ stores: [StateStore, StateStore]; dispose(): Promise<void> }> {
  if (engine === 'duckdb') {
    const state = await DuckDBStateStore.open(':memory:', tables);
    await ensureStateSchema(state);
    return { stores: [state, state], dispose: () => state.close() };
  }
  const database = await freshPostgresDatabase(inject('postgresUrl')!);
  const first = await PostgresStateStore.open(database.url, tables);
  await ensureStateSchema(first);
  const second = await PostgresStateStore.open(database.url, tables);
  return {
    stores: [first, second],
    dispose: async () => {
      await Promise.all([first.close(), second.close()]);
      await database.drop();
    },
  };
}
