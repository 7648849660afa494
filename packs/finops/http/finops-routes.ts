import type { TenantScope } from '../../../platform/tenancy/index.ts';
import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { replyTable } from '../../../surfaces/http/kit/index.ts';
import { platformTenantOf } from '../../../surfaces/http/kit/index.ts';
import { COST_GROUPS, readAttribution, readFinopsSummary, readReconciliation, readTenantCost, recordTrueCosts, type CostGroup } from '../index.ts';
import { errorResponses } from '../../../surfaces/http/kit/index.ts';
import { decimal, jsonOrCsv, percentOrNull, period, receiptHeader } from '../../../surfaces/http/kit/index.ts';
import { ownResource } from '../../../surfaces/http/kit/index.ts';

/**
 * FinOps: bills in, attribution and reconciliation out. Bills belong to the
 * tenant that imports them (the platform operator); every read is of the
 * caller's own bills. Another tenant's cost is readable only by the operator.
 */
/** Bills and their attribution belong to the tenant that imports them. */
const ownBills = ownResource('bills', 'Bills', 'confidential');

const reconciliationLineSchema = {
  type: 'object',
  required: [
    'billing_account_id', 'provider', 'invoice_id', 'billing_period_start', 'currency', 'bill_rows', 'billed_total', 'effective_total', 'direct_billed',
    'shared_billed', 'unallocated_billed', 'direct_effective', 'shared_effective', 'unallocated_effective', 'billed_difference', 'effective_difference',
    'balanced', 'coverage_percent',
  ],
  properties: {
    billing_account_id: { type: 'string' },
    provider: { type: 'string' },
    invoice_id: { type: 'string', description: "The provider's invoice; empty when the bill names none (then the line is the billing period's)." },
    billing_period_start: { type: 'string', format: 'date-time' },
    currency: { type: 'string' },
    bill_rows: { type: 'integer' },
    billed_total: decimal,
    effective_total: decimal,
    direct_billed: decimal,
    shared_billed: decimal,
    unallocated_billed: decimal,
    direct_effective: decimal,
    shared_effective: decimal,
    unallocated_effective: decimal,
    billed_difference: decimal,
    effective_difference: decimal,
    balanced: { type: 'boolean', description: 'Both differences are zero: every cent is on a direct, shared or unallocated line.' },
    coverage_percent: { ...percentOrNull, description: 'Share of EffectiveCost attributed to a tenant (direct + shared), in percent.' },
  },
} as const;

const reconciliationSchema = {
  type: 'object',
  required: ['period', 'invoices'],
  properties: {
    period: { type: ['string', 'null'], description: 'The month asked for; null for every month.' },
    invoices: { type: 'array', items: reconciliationLineSchema },
  },
} as const;

const attributionSchema = {
  type: 'object',
  required: ['period', 'lines', 'effective_total', 'attributed', 'coverage_percent'],
  properties: {
    period: { type: 'string' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        required: ['cost_tenant', 'allocation', 'currency', 'billed_cost', 'effective_cost'],
        properties: {
          cost_tenant: { type: 'string', description: 'The tenant the cost is attributed to; `unallocated` for what no rule attributes.' },
          allocation: { type: 'string', description: 'How: direct, shared or unallocated.' },
          currency: { type: 'string' },
          billed_cost: decimal,
          effective_cost: decimal,
        },
      },
    },
    effective_total: decimal,
    attributed: { ...decimal, description: 'EffectiveCost attributed to tenants (all but the unallocated line).' },
    coverage_percent: percentOrNull,
  },
} as const;

const tenantCostSchema = {
  type: 'object',
  required: ['tenant', 'group_by', 'lines', 'effective_total'],
  properties: {
    tenant: { type: 'string' },
    group_by: { type: 'string', enum: [...COST_GROUPS] },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        description: 'One group: its `service`, `pack` or `day` (whichever `group_by` names) and currency.',
        required: ['currency', 'billed_cost', 'effective_cost'],
        properties: {
          service: { type: 'string', description: 'With group_by=service.' },
          pack: { type: 'string', description: 'With group_by=pack; `unassigned` for cost no pack tag names.' },
          day: { type: 'string', format: 'date', description: 'With group_by=day.' },
          currency: { type: 'string' },
          billed_cost: decimal,
          effective_cost: decimal,
        },
      },
    },
    effective_total: decimal,
  },
} as const;

const accuracySchema = {
  type: 'object',
  description: "Attribution against the latest simulation's true costs (`companyos simulate`); absent when none was recorded.",
  required: ['simulation_id', 'true_total', 'absolute_error', 'accuracy_percent'],
  properties: {
    simulation_id: { type: 'string' },
    true_total: decimal,
    absolute_error: { ...decimal, description: 'Σ |attributed − true| over tenants and months.' },
    accuracy_percent: { ...percentOrNull, description: '1 − Σ|attributed − true| ÷ Σ true, in percent.' },
  },
} as const;

const finopsSummarySchema = {
  description: 'Whether attribution is built and, when it is, how the bills reconcile.',
  oneOf: [
    {
      type: 'object',
      title: 'Not built',
      required: ['built'],
      properties: { built: { type: 'boolean', const: false } },
    },
    {
      type: 'object',
      title: 'Built',
      required: ['built', 'invoices', 'balanced', 'unbalanced', 'coverage_percent'],
      properties: {
        built: { type: 'boolean', const: true },
        invoices: { type: 'integer', description: 'Reconciliation lines (billing account × provider × invoice × currency).' },
        balanced: { type: 'integer', description: 'Lines that reconcile exactly.' },
        unbalanced: { type: 'array', items: { type: 'string' }, description: 'The lines that do not: account, invoice (or period) and currency.' },
        coverage_percent: percentOrNull,
        accuracy: accuracySchema,
      },
    },
  ],
} as const;

const CSV = 'The same lines as CSV (`Accept: text/csv`), one a row, with a header row.';

export function finopsRoutes(app: FastifyInstance, deps: { warehouse: Warehouse; scope: (tenant: string) => TenantScope; operatorTenant: string }): void {
  app.post<{ Body: { simulation_id: string; rows: { tenant: string; period: string; currency: string; cost: string }[] } }>(
    '/v1/finops/simulations/true-costs',
    {
      schema: {
        operationId: 'recordTrueCosts',
        summary: 'Record the true per-tenant costs of a simulation',
        description:
          'Stores the true per-tenant costs of a `companyos simulate` run, which attribution accuracy (GET /v1/finops/summary) is measured against. ' +
          'Privileged and receipted before it writes (admins and operators); the rows are the caller\'s own tenant\'s.',
        tags: ['finops'],
        body: {
          type: 'object',
          required: ['simulation_id', 'rows'],
          properties: {
            simulation_id: { type: 'string', maxLength: 128, description: 'The simulation the costs belong to; the latest (by id) is the one accuracy is measured against.' },
            rows: {
              type: 'array',
              // An empty list would be a receipted call that records nothing.
              minItems: 1,
              items: {
                type: 'object',
                required: ['tenant', 'period', 'currency', 'cost'],
                properties: {
                  tenant: { type: 'string', maxLength: 128, description: 'The tenant the cost is of.' },
                  period,
                  currency: { type: 'string', maxLength: 16 },
                  cost: { type: 'string', pattern: '^-?[0-9]{1,18}([.][0-9]{1,10})?$', description: 'The true cost, an exact decimal.' },
                },
              },
            },
          },
          examples: [{ simulation_id: 'sim-2026-10', rows: [{ tenant: 'acme', period: '2026-10', currency: 'USD', cost: '1234.56' }] }],
        },
        response: {
          200: {
            type: 'object',
            description: 'How many rows were recorded.',
            required: ['recorded'],
            properties: { recorded: { type: 'integer' } },
            headers: receiptHeader,
          },
        },
      },
      config: { gate: { privileged: true, action: 'import_bills', receipt: 'before', resource: ownBills } },
    },
    async (request) => {
      // Cedar decided import_bills (admins and operators): the rows are the caller's own tenant's.
      await recordTrueCosts(deps.warehouse, request.principal!.tenant, request.body.simulation_id, request.body.rows);
      return { recorded: request.body.rows.length };
    },
  );

  app.get(
    '/v1/finops/summary',
    {
      schema: {
        operationId: 'getFinopsSummary',
        summary: 'Invoices reconciled, attribution coverage and simulation accuracy',
        description:
          'The figures a build prints, for the caller\'s own bills: how many invoices reconcile, the share of cost attributed to tenants and, when a simulation\'s true costs are recorded, ' +
          'attribution accuracy. `built: false` until attribution is built. Admins, operators, auditors and readers (decided, not receipted).',
        tags: ['finops'],
        response: { 200: finopsSummarySchema },
      },
      config: { gate: { action: 'read_costs', resource: ownBills } },
    },
    (request) => readFinopsSummary(deps.scope(request.principal!.tenant)),
  );

  app.get<{ Querystring: { period?: string } }>(
    '/v1/finops/reconciliation',
    {
      schema: {
        operationId: 'getReconciliation',
        summary: 'Bill totals against their attribution, per billing account, provider, invoice and currency',
        description:
          'Bill totals per billing account, provider, invoice and currency against direct + shared + unallocated cost, from the caller\'s own bills. ' +
          'Decimal strings; `balanced` when both BilledCost and EffectiveCost reconcile exactly. `Accept: text/csv` for CSV. Admins, operators, auditors and readers (decided, not receipted).',
        tags: ['finops'],
        querystring: { type: 'object', additionalProperties: false, properties: { period: { ...period, description: 'Only bills of this month (default: every month).' } } },
        response: { 200: jsonOrCsv('The reconciliation lines.', reconciliationSchema, CSV), ...errorResponses(409) },
      },
      config: { gate: { action: 'read_costs', resource: ownBills } },
    },
    async (request, reply) => {
      const lines = await readReconciliation(deps.scope(request.principal!.tenant), request.query.period);
      return replyTable(request, reply, { period: request.query.period ?? null, invoices: lines }, lines, 'reconciliation');
    },
  );

  app.get<{ Querystring: { period: string } }>(
    '/v1/finops/attribution',
    {
      schema: {
        operationId: 'getAttribution',
        summary: 'Cost per tenant for a month of charges, with the unallocated line',
        description:
          'EffectiveCost and BilledCost of the caller\'s own bills per tenant, allocation and currency for a month of charges (corrections count in the month they correct). ' +
          'A bill owner other than the platform operator sees its own line and the unallocated one only. `Accept: text/csv` for CSV. Admins, operators, auditors and readers (decided, not receipted).',
        tags: ['finops'],
        querystring: { type: 'object', additionalProperties: false, required: ['period'], properties: { period } },
        response: { 200: jsonOrCsv('The attribution of the month.', attributionSchema, CSV), ...errorResponses(409) },
      },
      config: { gate: { action: 'read_costs', resource: ownBills } },
    },
    async (request, reply) => {
      const result = await readAttribution(deps.scope(request.principal!.tenant), request.query.period, platformTenantOf(request));
      return replyTable(request, reply, result, result.lines, `attribution-${request.query.period}`);
    },
  );

  app.get<{ Params: { tenant: string }; Querystring: { from?: string; to?: string; group_by?: CostGroup } }>(
    '/v1/tenants/:tenant/cost',
    {
      schema: {
        operationId: 'getTenantCost',
        summary: "A tenant's attributed cost (EffectiveCost), by service, pack or day",
        description:
          'The cost of the caller\'s own bills attributed to the tenant, between `from` (inclusive) and `to` (exclusive). Another tenant\'s cost is readable by principals of the platform operator only. ' +
          '`Accept: text/csv` for CSV. Admins, operators, auditors and readers (decided, not receipted).',
        tags: ['finops'],
        params: { type: 'object', properties: { tenant: { type: 'string', maxLength: 128, description: 'The tenant whose cost to read.' } }, required: ['tenant'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date', description: 'Charges on or after this day.' },
            to: { type: 'string', format: 'date', description: 'Charges before this day.' },
            group_by: { type: 'string', enum: [...COST_GROUPS], description: 'Lines per service (default), pack or day.' },
          },
        },
        response: { 200: jsonOrCsv("The tenant's cost.", tenantCostSchema, CSV), ...errorResponses(409) },
      },
      // The resource is the named tenant's cost: another tenant's is the platform operator's to read only (other-tenants-cost-platform-only).
      config: { gate: { action: 'read_costs', resource: (request) => ({ ...ownBills(request), id: `cost/${(request.params as { tenant: string }).tenant}`, tenant: (request.params as { tenant: string }).tenant, kind: 'TenantCost' }) } },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const { tenant } = request.params;
      const { from, to, group_by } = request.query;
      const result = await readTenantCost(deps.scope(principal.tenant), tenant, {
        from: from ? new Date(`${from}T00:00:00Z`) : undefined,
        to: to ? new Date(`${to}T00:00:00Z`) : undefined,
        groupBy: group_by,
      });
      return replyTable(request, reply, result, result.lines, `cost-${tenant}`);
    },
  );
}
