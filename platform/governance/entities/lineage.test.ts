import { describe, expect, it } from 'vitest';
import { useStateStore } from '../../../test/support/state.ts';
import { EntityStore } from './entity-store.ts';
import { traverse } from './lineage.ts';

describe('lineage traversal', () => {
  const store = useStateStore();

  it('answers with the root the read was decided on, not one reclassified while it walked', async () => {
    const entities = new EntityStore(store.state, 'eu');
    const [root, next] = await entities.create('acme', [
      { id: 'orders', type: 'Asset', name: 'orders', data_class: 'internal' },
      { id: 'report', type: 'Asset', name: 'report' },
    ], 'acme/ops');
    await entities.createEdges('acme', [{ type: 'EMITS', from: 'report', to: 'orders' }], 'acme/ops');
    // The gate allowed the read on `root` as it was; an admin then makes it restricted before the walk reads its nodes.
    await entities.update(root!, { ...root!, data_class: 'restricted', attributes: { owner: 'secret-team' } }, 'acme/admin');
    const lineage = await traverse(entities, root!, 2, 'both');
    expect(lineage.nodes.map((n) => [n.id, n.data_class, n.distance])).toEqual([['orders', 'internal', 0], ['report', next!.data_class, 1]]);
    expect(lineage.nodes[0]!.attributes).toEqual({});
    expect(lineage.edges).toHaveLength(1);
  });
});
