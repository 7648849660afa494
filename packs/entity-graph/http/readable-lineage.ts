import type { FastifyRequest } from 'fastify';
import { asResource } from './entity-resource.ts';
import type { Lineage } from '../../../platform/governance/index.ts';
import { allows } from '../../../surfaces/http/kit/index.ts';

/**
 * A lineage walk as the caller may see it: only entities it may read by id, only edges between them, and
 * only what is still reachable from the root through those within the depth, at its distance by that
 * path. A hidden entity is never walked through, so the answer does not hint at what it connects.
 */
export function readableLineage(request: FastifyRequest, lineage: Lineage): Lineage {
  const visible = new Set(lineage.nodes.filter((node) => node.id === lineage.root || allows(request, 'read', asResource(node))).map((node) => node.id));
  const edges = lineage.edges.filter((edge) => visible.has(edge.from) && visible.has(edge.to));
  const distance = new Map<string, number>([[lineage.root, 0]]);
  let frontier = [lineage.root];
  for (let hop = 1; hop <= lineage.depth && frontier.length > 0; hop++) {
    const reached = new Set(frontier);
    const next: string[] = [];
    for (const edge of edges) {
      const ends = lineage.direction === 'out' ? [[edge.from, edge.to]] : lineage.direction === 'in' ? [[edge.to, edge.from]] : [[edge.from, edge.to], [edge.to, edge.from]];
      for (const [near, far] of ends) {
        if (!reached.has(near!) || distance.has(far!)) continue;
        distance.set(far!, hop);
        next.push(far!);
      }
    }
    frontier = next;
  }
  return {
    ...lineage,
    nodes: lineage.nodes.filter((node) => distance.has(node.id)).map((node) => ({ ...node, distance: distance.get(node.id)! })).sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id)),
    edges: edges.filter((edge) => distance.has(edge.from) && distance.has(edge.to)),
  };
}
