import type { FastifyInstance } from 'fastify';
import { loadPricing, PricingFileError, type Pricing } from '../index.ts';
import type { TenantScope } from '../../../platform/tenancy/index.ts';
import { replyTable } from '../../../surfaces/http/kit/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { platformTenantOf } from '../../../surfaces/http/kit/index.ts';
import type { GatedRoute } from '../../../surfaces/http/kit/index.ts';
import { COGS_GROUPS, readCogs, readMargins, simulatePricing, type CogsGroup } from '../index.ts';
import { errorResponses } from '../../../surfaces/http/kit/index.ts';
import { decimal, jsonOrCsv, percentOrNull, period } from '../../../surfaces/http/kit/index.ts';
import { ownResource } from '../../../surfaces/http/kit/index.ts';

const CSV = 'The same lines as CSV (`Accept: text/csv`), one a row, with a header row.';

const cogsSchema = {
  type: 'object',
  required: ['period', 'group_by', 'lines', 'cogs_total'],
  properties: {
    period: { type: 'string' },
    group_by: { type: 'string', enum: [...COGS_GROUPS] },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        description: 'One group: its `tenant`, `pack`, `plan` or `sla_tier` (whichever `group_by` names) and currency.',
        required: ['currency', 'billed_cost', 'cogs', 'share_percent'],
        properties: {
          tenant: { type: 'string', description: 'With group_by=tenant.' },
          pack: { type: 'string', description: 'With group_by=pack; `platform` for cost no pack tag names.' },
          plan: { type: 'string', description: 'With group_by=plan; `unknown` for a tenant whose events carry no plan.' },
          sla_tier: { type: 'string', description: 'With group_by=sla_tier; `unknown` for a tenant whose events carry no tier.' },
          currency: { type: 'string' },
          billed_cost: decimal,
          cogs: { ...decimal, description: 'EffectiveCost attributed to the group.' },
          share_percent: { ...percentOrNull, description: "The group's share of the month's COGS, in percent." },
        },
      },
    },
    cogs_total: decimal,
  },
} as const;

/** Revenue, COGS and margin of a SKU or a total. */
const figures = {
  revenue: decimal,
  cogs: decimal,
  margin: { ...decimal, description: 'revenue − cogs' },
  margin_percent: { ...percentOrNull, description: 'margin ÷ revenue, in percent; null without revenue.' },
} as const;
const totalsSchema = { type: 'object', required: ['revenue', 'cogs', 'margin', 'margin_percent'], properties: figures } as const;
const skuFiguresSchema = {
  type: 'object',
  required: ['tenants', 'revenue', 'cogs', 'margin', 'margin_percent'],
  properties: { tenants: { type: 'integer', description: 'Tenants buying the SKU.' }, ...figures },
} as const;
const deltaSchema = {
  type: 'object',
  description: 'scenario − baseline.',
  required: ['revenue', 'cogs', 'margin'],
  properties: { revenue: decimal, cogs: decimal, margin: decimal },
} as const;
const skuKind = { type: 'string', description: '`base` (a plan/SLA tier SKU) or `pack` (an add-on).' } as const;

const marginsSchema = {
  type: 'object',
  required: ['period', 'currency', 'skus', 'total'],
  properties: {
    period: { type: 'string' },
    currency: { type: ['string', 'null'], description: "pricing.yaml's currency; null when there is no pricing.yaml." },
    skus: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sku_kind', 'sku', 'tenants', 'revenue', 'cogs', 'margin', 'margin_percent', 'priced'],
        properties: {
          sku_kind: skuKind,
          sku: { type: 'string', description: '`plan/tier` for a base SKU, the pack for an add-on.' },
          ...skuFiguresSchema.properties,
          priced: { type: ['boolean', 'null'], description: 'Whether pricing.yaml prices the SKU; null when there is no pricing.yaml.' },
        },
      },
    },
    total: totalsSchema,
  },
} as const;

const pricingSimulationSchema = {
  type: 'object',
  description: 'Each SKU\'s figures under the price table as it is (`baseline`) and under the what-if (`scenario`), and the difference.',
  required: ['period', 'currency', 'scenario', 'skus', 'total'],
  properties: {
    period: { type: 'string' },
    currency: { type: 'string' },
    scenario: {
      type: 'object',
      description: 'The what-if, as simulated.',
      required: ['tier_moves', 'excluded_packs'],
      properties: {
        tier_moves: { type: 'object', additionalProperties: { type: 'string' }, description: 'Tenant → the SLA tier it moves to.' },
        excluded_packs: { type: 'array', items: { type: 'string' } },
      },
    },
    skus: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sku_kind', 'sku', 'baseline', 'scenario', 'delta'],
        properties: { sku_kind: skuKind, sku: { type: 'string' }, baseline: skuFiguresSchema, scenario: skuFiguresSchema, delta: deltaSchema },
      },
    },
    total: {
      type: 'object',
      required: ['baseline', 'scenario', 'delta'],
      properties: { baseline: totalsSchema, scenario: totalsSchema, delta: deltaSchema },
    },
  },
} as const;

/** COGS and margins are figures of the caller's own bills: decided as read_costs on them (kernel/policies/matrix.ts). */
const readOwnCosts: GatedRoute = {
  action: 'read_costs',
  resource: ownResource('bills', 'Bills', 'confidential'),
};

/**
 * Economics: COGS per tenant, pack, plan and SLA tier; margin per SKU from
 * models/finops/pricing.yaml; and what-if pricing on the built COGS. Reads the
 * caller's own bills only, like the rest of FinOps.
 */
export function economicsRoutes(app: FastifyInstance, deps: { scope(tenant: string): TenantScope; modelsDir: string }): void {
  const pricing = async (): Promise<Pricing | undefined> => {
    try {
      return await loadPricing(deps.modelsDir);
    } catch (error) {
      if (error instanceof PricingFileError) throw new DomainError('PRICING_INVALID', error.message);
      throw error;
    }
  };

  app.get<{ Querystring: { period: string; group_by?: CogsGroup } }>(
    '/v1/finops/cogs',
    {
      schema: {
        operationId: 'getCogs',
        summary: 'Attributed cost (COGS) of a month per tenant, pack, plan or SLA tier',
        description:
          'From the caller\'s own bills (another bill owner than the platform operator sees only what is attributed to itself). Cost no pack tag names is `platform`; ' +
          'a tenant whose events carry no plan is `unknown`. `Accept: text/csv` for CSV. Admins, operators, auditors and readers (decided, not receipted).',
        tags: ['finops'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['period'],
          properties: { period, group_by: { type: 'string', enum: [...COGS_GROUPS], description: 'Lines per tenant (default), pack, plan or SLA tier.' } },
        },
        response: { 200: jsonOrCsv('The COGS of the month.', cogsSchema, CSV), ...errorResponses(409) },
      },
      config: { gate: readOwnCosts },
    },
    async (request, reply) => {
      const result = await readCogs(deps.scope(request.principal!.tenant), request.query.period, request.query.group_by, platformTenantOf(request));
      return replyTable(request, reply, result, result.lines, `cogs-${request.query.period}`);
    },
  );

  app.get<{ Querystring: { period: string } }>(
    '/v1/finops/margins',
    {
      schema: {
        operationId: 'getMargins',
        summary: 'Revenue, COGS and margin per SKU for a month',
        description:
          'SKUs are base (plan/SLA tier) and add-on packs, priced by models/finops/pricing.yaml, from the caller\'s own bills. `Accept: text/csv` for CSV. ' +
          'Admins, operators, auditors and readers (decided, not receipted).',
        tags: ['finops'],
        querystring: { type: 'object', additionalProperties: false, required: ['period'], properties: { period } },
        response: { 200: jsonOrCsv('The SKU margins of the month.', marginsSchema, CSV), ...errorResponses(409) },
      },
      config: { gate: readOwnCosts },
    },
    async (request, reply) => {
      const result = await readMargins(deps.scope(request.principal!.tenant), request.query.period, await pricing(), platformTenantOf(request));
      return replyTable(request, reply, result, result.skus, `margins-${request.query.period}`);
    },
  );

  app.post<{ Body: { period: string; tier_moves?: Record<string, string>; excluded_packs?: string[] } }>(
    // "::" is a literal colon in a Fastify path.
    '/v1/finops/pricing::simulate',
    {
      schema: {
        operationId: 'simulatePricing',
        summary: 'What-if pricing: SKU margins with tenants moved to another SLA tier and packs taken out of the base SKU',
        description:
          'Reads only (decided as a read of the caller\'s own costs: admins, operators, auditors and readers; not receipted). A moved tenant pays its new tier and its COGS scales by the tiers\' ' +
          'cost_factor ratio; an excluded pack becomes an add-on every tenant with cost on it buys. A scenario that names an unknown tier, pack or a tenant without cost answers 400 SCENARIO_INVALID.',
        tags: ['finops'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['period'],
          properties: {
            period,
            tier_moves: { type: 'object', additionalProperties: { type: 'string', maxLength: 64 }, maxProperties: 1000, description: 'Tenant → the SLA tier it moves to.' },
            excluded_packs: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 100, description: 'Packs taken out of the base SKU, sold as add-ons.' },
          },
          examples: [{ period: '2026-10', tier_moves: { acme: 'gold' }, excluded_packs: ['revops'] }],
        },
        response: { 200: pricingSimulationSchema, ...errorResponses(409) },
      },
      // A what-if over the caller's own built COGS: reads only, so decided as a read of them.
      config: { gate: readOwnCosts },
    },
    async (request) => {
      const table = await pricing();
      if (!table) throw new DomainError('PRICING_INVALID', `There is no ${deps.modelsDir}/finops/pricing.yaml to price SKUs with.`);
      const { period: month, tier_moves = {}, excluded_packs = [] } = request.body;
      return simulatePricing(deps.scope(request.principal!.tenant), month, table, { tierMoves: tier_moves, excludedPacks: excluded_packs }, platformTenantOf(request));
    },
  );
}
