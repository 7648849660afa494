import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { columnNames } from '../../../kernel/warehouse/index.ts';
import type { CompiledProject } from '../compile-project.ts';

export type LineageDirection = 'upstream' | 'downstream' | 'both';

export interface LineageNode {
  name: string;
  kind: 'source' | 'seed' | 'model' | 'meter';
  /** The meter's name in meters.yaml, for meter models; '' otherwise. */
  meter: string;
  materialized: string;
  description: string;
}

export interface LineageGraph {
  node: LineageNode;
  direction: LineageDirection;
  depth: number;
  build_run_id: string;
  nodes: (LineageNode & { distance: number; last_run: { status: string; at: string } | null })[];
  edges: { upstream: string; downstream: string }[];
}

export class LineageNodeUnknownError extends Error {
  override readonly name = 'LineageNodeUnknownError';
}

const NODE_COLUMNS = columnNames('lineage_nodes');
const EDGE_COLUMNS = columnNames('lineage_edges');

/** Records the project's dataset graph (sources → models → meters) as this build saw it. */
export async function writeLineageGraph(warehouse: Warehouse, tenant: string, buildRunId: string, project: CompiledProject, at: Date): Promise<void> {
  const sources = new Set([...project.models.values()].flatMap((m) => m.sources.map(([, table]) => table)));
  const nodes: LineageNode[] = [
    ...[...sources].sort().map((table): LineageNode => ({ name: table, kind: 'source', meter: '', materialized: 'table', description: 'raw table' })),
    ...project.order.map((name): LineageNode => {
      const { config, meter, seed } = project.models.get(name)!;
      return { name, kind: meter ? 'meter' : seed ? 'seed' : 'model', meter: meter ?? '', materialized: config.materialized, description: config.description };
    }),
  ];
  const edges = [...project.models.values()].flatMap((m) => [...m.sources.map(([, table]) => table), ...m.refs].map((upstream) => [upstream, m.name]));
  // Edges first: readers find a build by its nodes, so a build whose write stopped half-way is not found.
  await warehouse.insert('lineage_edges', EDGE_COLUMNS, edges.map(([up, down]) => [tenant, buildRunId, at, up!, down!]));
  await warehouse.insert('lineage_nodes', NODE_COLUMNS, nodes.map((n) => [tenant, buildRunId, at, n.name, n.kind, n.meter, n.materialized, n.description]));
}

/**
 * The graph around `node` (a model, a source table — `events` or `raw.events` —
 * or a meter name) from the tenant's latest build, walked `depth` edges up,
 * down or both ways.
 */
export async function readLineageGraph(
  warehouse: Warehouse,
  tenant: string,
  query: { node: string; direction: LineageDirection; depth: number },
): Promise<LineageGraph | undefined> {
  const [latest] = await warehouse.query<{ build_run_id: string }>(
    'SELECT build_run_id FROM lineage_nodes WHERE tenant_id = ? ORDER BY build_run_id DESC LIMIT 1',
    [tenant],
  );
  if (!latest) return undefined;
  const buildRunId = latest.build_run_id;
  const nodes = await warehouse.query<LineageNode & Record<string, string>>(
    'SELECT name, kind, meter, materialized, description FROM lineage_nodes WHERE tenant_id = ? AND build_run_id = ?',
    [tenant, buildRunId],
  );
  const edges = await warehouse.query<{ upstream: string; downstream: string }>(
    'SELECT upstream, downstream FROM lineage_edges WHERE tenant_id = ? AND build_run_id = ?',
    [tenant, buildRunId],
  );
  const wanted = query.node.replace(/^raw\./, '');
  const start = nodes.find((n) => n.name === wanted) ?? nodes.find((n) => n.meter === wanted);
  if (!start) throw new LineageNodeUnknownError(`"${query.node}" is no model, source table or meter of the latest build`);

  const distance = new Map([[start.name, 0]]);
  const reached: { upstream: string; downstream: string }[] = [];
  const walk = (from: string, next: (name: string) => { edge: { upstream: string; downstream: string }; to: string }[]) => {
    let frontier = [from];
    for (let hop = 1; hop <= query.depth && frontier.length; hop++) {
      const following: string[] = [];
      for (const name of frontier) {
        for (const { edge, to } of next(name)) {
          reached.push(edge);
          if (distance.has(to)) continue;
          distance.set(to, hop);
          following.push(to);
        }
      }
      frontier = following;
    }
  };
  if (query.direction !== 'downstream') walk(start.name, (name) => edges.filter((e) => e.downstream === name).map((edge) => ({ edge, to: edge.upstream })));
  if (query.direction !== 'upstream') walk(start.name, (name) => edges.filter((e) => e.upstream === name).map((edge) => ({ edge, to: edge.downstream })));

  const lastRuns = await latestRuns(warehouse, tenant, [...distance.keys()]);
  const plain = (n: LineageNode): LineageNode => ({ name: n.name, kind: n.kind, meter: n.meter, materialized: n.materialized, description: n.description });
  return {
    node: plain(start),
    direction: query.direction,
    depth: query.depth,
    build_run_id: buildRunId,
    nodes: nodes
      .filter((n) => distance.has(n.name))
      .map((n) => ({ ...plain(n), distance: distance.get(n.name)!, last_run: lastRuns.get(n.name) ?? null }))
      .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name)),
    edges: [...new Map(reached.map((e) => [`${e.upstream}>${e.downstream}`, e])).values()].sort(
      (a, b) => a.upstream.localeCompare(b.upstream) || a.downstream.localeCompare(b.downstream),
    ),
  };
}

/** The outcome of each model's latest finished run. */
async function latestRuns(warehouse: Warehouse, tenant: string, jobs: string[]): Promise<Map<string, { status: string; at: string }>> {
  if (!jobs.length) return new Map();
  const rows = await warehouse.query<{ job_name: string; status: string; at: Date }>(
    `SELECT job_name, argMax(event_type, event_time) AS status, max(event_time) AS at FROM lineage_runs
     WHERE tenant_id = ? AND event_type <> 'START' AND job_name IN (${jobs.map(() => '?').join(', ')}) GROUP BY job_name`,
    [tenant, ...jobs],
  );
  return new Map(rows.map((r) => [r.job_name, { status: r.status, at: r.at.toISOString() }]));
}
