import type { Edge, Entity } from './entity-model.ts';
import type { EntityStore } from './entity-store.ts';

/** Most nodes one traversal returns: a hub's whole tenant is not a lineage answer. */
export const MAX_LINEAGE_NODES = 10_000;

export interface Lineage {
  root: string;
  depth: number;
  direction: 'out' | 'in' | 'both';
  nodes: (Entity & { distance: number })[];
  edges: Edge[];
  truncated: boolean;
}

/** Breadth-first from `root` over live edges within its tenant, one warehouse round trip per hop. */
export async function traverse(store: EntityStore, root: Entity, depth: number, direction: Lineage['direction']): Promise<Lineage> {
  const distance = new Map<string, number>([[root.id, 0]]);
  const edges = new Map<string, Edge>();
  let frontier = new Set([root.id]);
  let truncated = false;
  for (let hop = 1; hop <= depth && frontier.size > 0; hop++) {
    const next: string[] = [];
    for (const edge of await store.edgesAround(root.tenant, [...frontier])) {
      const ends = direction === 'out' ? [[edge.from, edge.to]] : direction === 'in' ? [[edge.to, edge.from]] : [[edge.from, edge.to], [edge.to, edge.from]];
      for (const [near, far] of ends) {
        if (!frontier.has(near!)) continue;
        edges.set(edge.id, edge);
        if (distance.has(far!)) continue;
        if (distance.size >= MAX_LINEAGE_NODES) {
          truncated = true;
          continue;
        }
        distance.set(far!, hop);
        next.push(far!);
      }
    }
    frontier = new Set(next);
  }
  // Edges to deleted entities are not part of the graph. The root is the entity as the caller's read
  // was decided on: a change since (a reclassification) must not show through the walk.
  const live = [root, ...(await store.getMany(root.tenant, [...distance.keys()].filter((id) => id !== root.id)))];
  const liveIds = new Set(live.map((e) => e.id));
  return {
    root: root.id,
    depth,
    direction,
    nodes: live.map((e) => ({ ...e, distance: distance.get(e.id)! })).sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id)),
    edges: [...edges.values()].filter((e) => liveIds.has(e.from) && liveIds.has(e.to)),
    truncated,
  };
}
