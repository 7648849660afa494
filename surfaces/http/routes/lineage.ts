import type { FastifyInstance } from 'fastify';
import { LineageNodeUnknownError, readLineageGraph, type LineageDirection } from '../../../platform/transforms/index.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { errorResponses } from '../kit/index.ts';
import { timestamp } from '../kit/index.ts';
import { ownResource } from '../kit/index.ts';

export const MAX_LINEAGE_DEPTH = 50;

const nodeProperties = {
  name: { type: 'string', description: 'The model, seed or source table.' },
  kind: { type: 'string', enum: ['source', 'seed', 'model', 'meter'] },
  meter: { type: 'string', description: "The meter's name in meters.yaml, for meter models; empty otherwise." },
  materialized: { type: 'string', description: 'How it is built: table, view, incremental, ephemeral (sources: table).' },
  description: { type: 'string' },
} as const;
const nodeRequired = ['name', 'kind', 'meter', 'materialized', 'description'] as const;

const lineageGraphSchema = {
  type: 'object',
  description: 'The node asked about, the nodes within `depth` edges of it in `direction`, and the edges walked.',
  required: ['node', 'direction', 'depth', 'build_run_id', 'nodes', 'edges'],
  properties: {
    node: { type: 'object', required: [...nodeRequired], properties: nodeProperties },
    direction: { type: 'string', enum: ['upstream', 'downstream', 'both'] },
    depth: { type: 'integer' },
    build_run_id: { type: 'string', description: 'The build whose lineage this is (the latest of the caller\'s tenant).' },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        required: [...nodeRequired, 'distance', 'last_run'],
        properties: {
          ...nodeProperties,
          distance: { type: 'integer', description: 'Edges away from the node asked about (0: itself).' },
          last_run: {
            type: ['object', 'null'],
            description: 'Its latest finished run (OpenLineage), or null when it has none.',
            required: ['status', 'at'],
            properties: { status: { type: 'string', description: 'COMPLETE, FAIL or ABORT.' }, at: timestamp },
          },
        },
      },
    },
    edges: {
      type: 'array',
      items: { type: 'object', required: ['upstream', 'downstream'], properties: { upstream: { type: 'string' }, downstream: { type: 'string' } } },
    },
  },
} as const;

/** The dataset graph of the caller's tenant's latest build, around one node. */
export function lineageRoutes(app: FastifyInstance, deps: { warehouse: Warehouse }): void {
  app.get<{ Querystring: { node: string; direction?: LineageDirection; depth?: number } }>(
    '/v1/lineage',
    {
      schema: {
        operationId: 'getLineage',
        summary: 'Lineage around a model, source table or meter',
        description:
          'Answers from lineage_nodes and lineage_edges, as the latest build of the caller\'s tenant recorded them: ' +
          'the node, the nodes `depth` edges away in `direction`, and the edges between them, each model with its last run. ' +
          'Any role of the tenant may read it (decided, not receipted).',
        tags: ['transforms'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['node'],
          properties: {
            node: { type: 'string', minLength: 1, maxLength: 256, description: 'a model (stg_events), a source table (events or raw.events) or a meter (policy.decisions_total)' },
            direction: { type: 'string', enum: ['upstream', 'downstream', 'both'], default: 'both', description: 'Which way to walk from the node.' },
            depth: { type: 'integer', minimum: 1, maximum: MAX_LINEAGE_DEPTH, default: 10, description: 'How many edges to walk.' },
          },
        },
        response: { 200: lineageGraphSchema, ...errorResponses(404, 409) },
      },
      config: { gate: { action: 'read', resource: ownResource('lineage', 'Lineage') } },
    },
    async (request) => {
      const { node, direction = 'both', depth = 10 } = request.query;
      try {
        const graph = await readLineageGraph(deps.warehouse, request.principal!.tenant, { node, direction, depth });
        if (!graph) throw new DomainError('LINEAGE_NOT_BUILT');
        return graph;
      } catch (error) {
        if (error instanceof LineageNodeUnknownError) throw new DomainError('LINEAGE_NODE_UNKNOWN', `${error.message}.`);
        throw error;
      }
    },
  );
}
