import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBStateStore, ensureStateSchema, type StateStore } from '../../../kernel/state/index.ts';
import { TABLES } from '../../../kernel/warehouse/index.ts';
import { EntityStore } from './entity-store.ts';

/** A store whose next read of one entity is held after it has read, until `release`: a read that began before a write and answers after it. */
function holdingReads(state: StateStore) {
  let held: Promise<void> | undefined;
  let release = () => undefined as void;
  const store: StateStore = {
    engine: state.engine, location: state.location, tables: state.tables,
    transaction: (work) => state.transaction(work),
    snapshot: (work) => state.snapshot(work),
    close: () => state.close(),
    async query(sql, params) {
      const wait = sql.includes('entity_id = ?') ? held : undefined;
      if (wait) held = undefined;
      const rows = await state.query(sql, params);
      if (wait) await wait;
      return rows as never;
    },
  };
  return {
    store,
    hold() {
      held = new Promise<void>((resolve) => (release = resolve));
    },
    release() {
      release();
    },
  };
}

describe('the entity store', () => {
  let state: StateStore;
  beforeEach(async () => {
    state = await DuckDBStateStore.open(':memory:', TABLES);
    await ensureStateSchema(state);
  });
  afterEach(() => state.close());

  it.each(['reclassified', 'deleted'] as const)('never puts back an older version a slow read found after the entity was %s', async (change) => {
    const [created] = await new EntityStore(state, 'eu').create('acme', [{ id: 'db-1', type: 'Asset', name: 'orders db', data_class: 'internal' }], 'acme/ops');
    const reads = holdingReads(state);
    const entities = new EntityStore(reads.store, 'eu');

    reads.hold();
    const slowRead = entities.get('acme', 'db-1');
    // Let the read reach the store before the write.
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (change === 'reclassified') await entities.update(created!, { ...created!, data_class: 'restricted' }, 'acme/admin');
    else await entities.delete(created!, 'acme/admin');
    reads.release();
    expect((await slowRead)?.data_class).toBe('internal');

    const now = await entities.get('acme', 'db-1');
    if (change === 'reclassified') expect(now).toMatchObject({ version: 2, data_class: 'restricted' });
    else {
      expect(now).toBeUndefined();
      expect(await entities.getMany('acme', ['db-1'])).toEqual([]);
    }
  });
});
