import { describe, expect, it } from 'vitest';
import { useStateStore } from '../../../test/support/state.ts';
import { EntityStore } from './entity-store.ts';
import { heldReads } from '../../../test/support/held-reads.ts';

describe('the entity store', () => {
  const store = useStateStore();

  it.each(['reclassified', 'deleted'] as const)('never puts back an older version a slow read found after the entity was %s', async (change) => {
    const [created] = await new EntityStore(store.state, 'eu').create('acme', [{ id: 'db-1', type: 'Asset', name: 'orders db', data_class: 'internal' }], 'acme/ops');
    const reads = heldReads(store.state, (sql) => sql.includes('entity_id = ?'));
    const entities = new EntityStore(reads.store, 'eu');

    reads.hold();
    const slowRead = entities.get('acme', 'db-1');
    await reads.reached();
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
