import type { FastifyInstance } from 'fastify';
import { LineageNodeUnknownError, readLineageGraph, type LineageDirection } from '../../transforms/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { ApiError } from '../errors.ts';
import { errorReplies } from '../route-schemas.ts';
import { ownResource } from '../policy/own-resource.ts';

export const MAX_LINEAGE_DEPTH = 50;

/** The dataset graph of the caller's tenant's latest build, around one node. */
export function lineageRoutes(app: FastifyInstance, deps: { warehouse: Warehouse }): void {
  app.get<{ Querystring: { node: string; direction?: LineageDirection; depth?: number } }>(
    '/v1/lineage',
    {
      schema: {
        summary: 'Lineage around a model, source table or meter',
        description:
          'Answers from lineage_nodes and lineage_edges, as the latest build of the caller\'s tenant recorded them: ' +
          'the node, the nodes `depth` edges away in `direction`, and the edges between them, each model with its last run.',
        tags: ['transforms'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['node'],
          properties: {
            node: { type: 'string', minLength: 1, maxLength: 256, description: 'a model (stg_events), a source table (events or raw.events) or a meter (policy.decisions_total)' },
            direction: { type: 'string', enum: ['upstream', 'downstream', 'both'], default: 'both' },
            depth: { type: 'integer', minimum: 1, maximum: MAX_LINEAGE_DEPTH, default: 10 },
          },
        },
        response: { ...errorReplies, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
      },
      config: { gate: { action: 'read', resource: ownResource('lineage', 'Lineage') } },
    },
    async (request) => {
      const { node, direction = 'both', depth = 10 } = request.query;
      try {
        const graph = await readLineageGraph(deps.warehouse, request.principal!.tenant, { node, direction, depth });
        if (!graph) throw new ApiError('LINEAGE_NOT_BUILT');
        return graph;
      } catch (error) {
        if (error instanceof LineageNodeUnknownError) throw new ApiError('LINEAGE_NODE_UNKNOWN', `${error.message}.`);
        throw error;
      }
    },
  );
}
