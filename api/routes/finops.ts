import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '../../warehouse/index.ts';
import { replyTable } from '../csv-reply.ts';
import { platformTenantOf } from '../policy/authorize.ts';
import { COST_GROUPS, readAttribution, readFinopsSummary, readReconciliation, readTenantCost, recordTrueCosts, type CostGroup } from '../queries/finops.ts';
import { errorReplies, period } from '../route-schemas.ts';
import { ownResource } from '../policy/own-resource.ts';

/**
 * FinOps: bills in, attribution and reconciliation out. Bills belong to the
 * tenant that imports them (the platform operator); every read is of the
 * caller's own bills. Another tenant's cost is readable only by the operator.
 */
/** Bills and their attribution belong to the tenant that imports them. */
const ownBills = ownResource('bills', 'Bills', 'confidential');

export function finopsRoutes(app: FastifyInstance, deps: { warehouse: Warehouse; operatorTenant: string }): void {
  app.post<{ Body: { simulation_id: string; rows: { tenant: string; period: string; currency: string; cost: string }[] } }>(
    '/v1/finops/simulations/true-costs',
    {
      schema: {
        summary: 'Record the true per-tenant costs of a `companyos simulate` run, to measure attribution accuracy against',
        tags: ['finops'],
        body: {
          type: 'object',
          required: ['simulation_id', 'rows'],
          properties: {
            simulation_id: { type: 'string', maxLength: 128 },
            rows: {
              type: 'array',
              // An empty list would be a receipted call that records nothing.
              minItems: 1,
              items: {
                type: 'object',
                required: ['tenant', 'period', 'currency', 'cost'],
                properties: { tenant: { type: 'string', maxLength: 128 }, period: period, currency: { type: 'string', maxLength: 16 }, cost: { type: 'string', pattern: '^-?[0-9]{1,18}([.][0-9]{1,10})?$' } },
              },
            },
          },
        },
        response: { ...errorReplies },
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
    { schema: { summary: 'Invoices reconciled, attribution coverage and simulation accuracy', tags: ['finops'] }, config: { gate: { action: 'read_costs', resource: ownBills } } },
    (request) => readFinopsSummary(deps.warehouse, request.principal!.tenant),
  );

  app.get<{ Querystring: { period?: string } }>(
    '/v1/finops/reconciliation',
    {
      schema: {
        summary: 'Bill totals per billing account, provider, invoice and currency against direct + shared + unallocated cost',
        description: 'Decimal strings; `balanced` when both BilledCost and EffectiveCost reconcile exactly. `Accept: text/csv` for CSV.',
        tags: ['finops'],
        querystring: { type: 'object', additionalProperties: false, properties: { period } },
        response: { ...errorReplies, 409: { $ref: 'Error#' } },
      },
      config: { gate: { action: 'read_costs', resource: ownBills } },
    },
    async (request, reply) => {
      const lines = await readReconciliation(deps.warehouse, request.principal!.tenant, request.query.period);
      return replyTable(request, reply, { period: request.query.period ?? null, invoices: lines }, lines, 'reconciliation');
    },
  );

  app.get<{ Querystring: { period: string } }>(
    '/v1/finops/attribution',
    {
      schema: {
        summary: 'Cost per tenant for a month of charges (corrections count in the month they correct), with the unallocated line',
        tags: ['finops'],
        querystring: { type: 'object', additionalProperties: false, required: ['period'], properties: { period } },
        response: { ...errorReplies, 409: { $ref: 'Error#' } },
      },
      config: { gate: { action: 'read_costs', resource: ownBills } },
    },
    async (request, reply) => {
      const result = await readAttribution(deps.warehouse, request.principal!.tenant, request.query.period, platformTenantOf(request));
      return replyTable(request, reply, result, result.lines, `attribution-${request.query.period}`);
    },
  );

  app.get<{ Params: { tenant: string }; Querystring: { from?: string; to?: string; groupBy?: CostGroup } }>(
    '/v1/tenants/:tenant/cost',
    {
      schema: {
        summary: "A tenant's attributed cost (EffectiveCost), by service, pack or day",
        tags: ['finops'],
        params: { type: 'object', properties: { tenant: { type: 'string', maxLength: 128 } }, required: ['tenant'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' }, groupBy: { type: 'string', enum: [...COST_GROUPS] } },
        },
        response: { ...errorReplies, 409: { $ref: 'Error#' } },
      },
      // The resource is the named tenant's cost: another tenant's is the platform operator's to read only (other-tenants-cost-platform-only).
      config: { gate: { action: 'read_costs', resource: (request) => ({ ...ownBills(request), id: `cost/${(request.params as { tenant: string }).tenant}`, tenant: (request.params as { tenant: string }).tenant, kind: 'TenantCost' }) } },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const { tenant } = request.params;
      const { from, to, groupBy } = request.query;
      const result = await readTenantCost(deps.warehouse, principal.tenant, tenant, {
        from: from ? new Date(`${from}T00:00:00Z`) : undefined,
        to: to ? new Date(`${to}T00:00:00Z`) : undefined,
        groupBy,
      });
      return replyTable(request, reply, result, result.lines, `cost-${tenant}`);
    },
  );
}
