import type { FastifyInstance } from 'fastify';
import { loadPricing, PricingFileError, type Pricing } from '../../transforms/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { replyTable } from '../csv-reply.ts';
import { ApiError } from '../errors.ts';
import { platformTenantOf } from '../policy/authorize.ts';
import type { GatedRoute } from '../policy/route-policy.ts';
import { COGS_GROUPS, readCogs, readMargins, simulatePricing, type CogsGroup } from '../queries/economics.ts';
import { errorReplies, period } from '../route-schemas.ts';
import { ownResource } from '../policy/own-resource.ts';

const built = { ...errorReplies, 409: { $ref: 'Error#' } } as const;

/** COGS and margins are figures of the caller's own bills: decided as read_costs on them (policies/matrix.ts). */
const readOwnCosts: GatedRoute = {
  action: 'read_costs',
  resource: ownResource('bills', 'Bills', 'confidential'),
};

/**
 * Economics: COGS per tenant, pack, plan and SLA tier; margin per SKU from
 * models/finops/pricing.yaml; and what-if pricing on the built COGS. Reads the
 * caller's own bills only, like the rest of FinOps.
 */
export function economicsRoutes(app: FastifyInstance, deps: { warehouse: Warehouse; modelsDir: string }): void {
  const pricing = async (): Promise<Pricing | undefined> => {
    try {
      return await loadPricing(deps.modelsDir);
    } catch (error) {
      if (error instanceof PricingFileError) throw new ApiError('PRICING_INVALID', error.message);
      throw error;
    }
  };

  app.get<{ Querystring: { period: string; groupBy?: CogsGroup } }>(
    '/v1/finops/cogs',
    {
      schema: {
        summary: 'Attributed cost (COGS) of a month per tenant, pack, plan or SLA tier',
        description: 'Cost no pack tag names is `platform`; a tenant whose events carry no plan is `unknown`. `Accept: text/csv` for CSV.',
        tags: ['finops'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['period'],
          properties: { period, groupBy: { type: 'string', enum: [...COGS_GROUPS] } },
        },
        response: built,
      },
      config: { gate: readOwnCosts },
    },
    async (request, reply) => {
      const result = await readCogs(deps.warehouse, request.principal!.tenant, request.query.period, request.query.groupBy, platformTenantOf(request));
      return replyTable(request, reply, result, result.lines, `cogs-${request.query.period}`);
    },
  );

  app.get<{ Querystring: { period: string } }>(
    '/v1/finops/margins',
    {
      schema: {
        summary: 'Revenue, COGS and margin per SKU for a month',
        description: 'SKUs are base (plan/SLA tier) and add-on packs, priced by models/finops/pricing.yaml. `Accept: text/csv` for CSV.',
        tags: ['finops'],
        querystring: { type: 'object', additionalProperties: false, required: ['period'], properties: { period } },
        response: built,
      },
      config: { gate: readOwnCosts },
    },
    async (request, reply) => {
      const result = await readMargins(deps.warehouse, request.principal!.tenant, request.query.period, await pricing(), platformTenantOf(request));
      return replyTable(request, reply, result, result.skus, `margins-${request.query.period}`);
    },
  );

  app.post<{ Body: { period: string; tier_moves?: Record<string, string>; excluded_packs?: string[] } }>(
    // "::" is a literal colon in a Fastify path.
    '/v1/finops/pricing::simulate',
    {
      schema: {
        summary: 'What-if pricing: SKU margins with tenants moved to another SLA tier and packs taken out of the base SKU',
        description:
          'Reads only. A moved tenant pays its new tier and its COGS scales by the tiers\' cost_factor ratio; an excluded pack becomes an add-on every tenant with cost on it buys.',
        tags: ['finops'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['period'],
          properties: {
            period,
            tier_moves: { type: 'object', additionalProperties: { type: 'string', maxLength: 64 }, maxProperties: 1000 },
            excluded_packs: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 100 },
          },
        },
        response: built,
      },
      // A what-if over the caller's own built COGS: reads only, so decided as a read of them.
      config: { gate: readOwnCosts },
    },
    async (request) => {
      const table = await pricing();
      if (!table) throw new ApiError('PRICING_INVALID', `There is no ${deps.modelsDir}/finops/pricing.yaml to price SKUs with.`);
      const { period: month, tier_moves = {}, excluded_packs = [] } = request.body;
      return simulatePricing(deps.warehouse, request.principal!.tenant, month, table, { tierMoves: tier_moves, excludedPacks: excluded_packs }, platformTenantOf(request));
    },
  );
}
