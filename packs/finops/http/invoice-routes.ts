import type { FastifyInstance } from 'fastify';
import type { StateStore } from '../../../kernel/state/index.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { wantsCsv } from '../../../surfaces/http/kit/index.ts';
import { assertInvoiceable, generateInvoices, listInvoices, readDeliveries, readInvoice } from '../index.ts';
import { platformTenantOf } from '../../../surfaces/http/kit/index.ts';
import type { WebhookConfig } from '../index.ts';
import { errorResponses } from '../../../surfaces/http/kit/index.ts';
import { decimal, period, receiptHeader, timestamp } from '../../../surfaces/http/kit/index.ts';
import { ownResource } from '../../../surfaces/http/kit/index.ts';

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 200, description: 'The invoice, e.g. INV-202610-acme@summit-internal.' } }, required: ['id'] } as const;

const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$', description: "SHA-256 of the invoice's JSON artifact." } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const nullableString = { type: ['string', 'null'] } as const;

const invoiceRunSchema = {
  type: 'object',
  description: 'Each invoice of the month, whether it is a new revision, and what became of its delivery.',
  required: ['period', 'webhook', 'invoices', 'delivered', 'failed'],
  properties: {
    period: { type: 'string' },
    webhook: { ...nullableString, description: 'Where invoices were delivered; null when no webhook is configured.' },
    invoices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['invoice_id', 'tenant', 'currency', 'total', 'sha256', 'new_revision', 'delivery'],
        properties: {
          invoice_id: { type: 'string' },
          tenant: { type: 'string', description: 'The tenant invoiced.' },
          currency: { type: 'string' },
          total: decimal,
          sha256,
          new_revision: { type: 'boolean', description: 'False when the latest revision already had this content: nothing new was written.' },
          delivery: {
            oneOf: [
              {
                type: 'object',
                title: 'Delivery',
                required: ['delivery_id', 'outcome', 'attempts', 'status_code', 'error'],
                properties: {
                  delivery_id: { type: 'string' },
                  outcome: { type: 'string', enum: ['delivered', 'failed'] },
                  attempts: { type: 'integer' },
                  status_code: { ...nullableInteger, description: "The receiver's last HTTP status; null when it never answered." },
                  error: nullableString,
                },
              },
              {
                type: 'object',
                title: 'Not sent',
                required: ['skipped'],
                properties: { skipped: { type: 'string', description: 'Why it was not sent: no webhook configured, or this revision was already delivered.' } },
              },
            ],
          },
        },
      },
    },
    delivered: { type: 'integer' },
    failed: { type: 'integer', description: 'Deliveries that gave up.' },
  },
} as const;

const invoiceListSchema = {
  type: 'object',
  required: ['invoices'],
  properties: {
    invoices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['invoice_id', 'issuer', 'tenant', 'period', 'currency', 'total', 'sha256', 'generated_at', 'delivered'],
        properties: {
          invoice_id: { type: 'string' },
          issuer: { type: 'string', description: 'The tenant that issued it.' },
          tenant: { type: 'string', description: 'The tenant it bills.' },
          period: { type: 'string', description: 'The month, YYYY-MM.' },
          currency: { type: 'string' },
          total: decimal,
          sha256,
          generated_at: timestamp,
          delivered: { type: 'boolean', description: 'Whether this revision reached the webhook.' },
        },
      },
    },
  },
} as const;

const invoiceSchema = {
  type: 'object',
  description: "The invoice's JSON artifact (its latest revision), as delivered to the webhook.",
  required: ['invoice_id', 'issuer', 'tenant', 'period', 'currency', 'lines', 'total'],
  properties: {
    invoice_id: { type: 'string' },
    issuer: { type: 'string', description: 'The tenant that issued it (the bill owner, usually the platform operator).' },
    tenant: { type: 'string', description: 'The tenant it bills.' },
    period: { type: 'string', description: 'The month, YYYY-MM.' },
    currency: { type: 'string' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sku_kind', 'sku', 'description', 'amount'],
        properties: {
          sku_kind: { type: 'string', enum: ['base', 'pack'] },
          sku: { type: 'string' },
          description: { type: 'string' },
          amount: decimal,
        },
      },
    },
    total: decimal,
  },
} as const;

const deliveriesSchema = {
  type: 'object',
  required: ['invoice_id', 'attempts'],
  properties: {
    invoice_id: { type: 'string' },
    attempts: {
      type: 'array',
      description: 'Every attempt, oldest first; empty for an invoice never sent (or not the caller\'s).',
      items: {
        type: 'object',
        required: ['delivery_id', 'sha256', 'url', 'attempt', 'attempted_at', 'status_code', 'outcome', 'error', 'duration_ms'],
        properties: {
          delivery_id: { type: 'string', description: 'One delivery: its attempts share it.' },
          sha256,
          url: { type: 'string' },
          attempt: { type: 'integer', description: 'Its number within the delivery, from 1.' },
          attempted_at: timestamp,
          status_code: { ...nullableInteger, description: "The receiver's HTTP status; null when it did not answer." },
          outcome: { type: 'string', enum: ['delivered', 'retrying', 'failed'] },
          error: nullableString,
          duration_ms: { type: 'integer' },
        },
      },
    },
  },
} as const;

/** Invoices the caller issued or received: decided as read_invoices on its own (kernel/policies/matrix.ts). */
const ownInvoices = {
  action: 'read_invoices',
  resource: ownResource('invoices', 'Invoices', 'confidential'),
} as const;

/**
 * Per-tenant invoices from the SKU charges of a month: generated by the
 * operator, stored as JSON and CSV artifacts, delivered to the configured
 * webhook (HMAC-signed, retried with backoff, every attempt recorded). An
 * invoice is readable by its issuer and, when the platform operator issued it,
 * by the tenant it bills (the operator as kernel/policies/data/tenants.json names it).
 */
export function invoiceRoutes(app: FastifyInstance, deps: { warehouse: Warehouse; state: StateStore; webhook?: WebhookConfig }): void {
  app.post<{ Querystring: { period: string } }>(
    // "::" is a literal colon in a Fastify path.
    '/v1/finops/invoices::generate',
    {
      schema: {
        operationId: 'generateInvoices',
        summary: "Generate each tenant's invoice for a month and deliver it to the configured webhook",
        description:
          'Privileged and receipted before it acts (admins and operators); a month with nothing to invoice is refused first (409 NOTHING_TO_INVOICE), with no receipt. ' +
          'Answers when every delivery has succeeded or given up. Deliveries carry `x-companyos-signature: t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">`; ' +
          'a revision whose content was already delivered is not sent again.',
        tags: ['finops'],
        querystring: { type: 'object', additionalProperties: false, required: ['period'], properties: { period } },
        response: { 200: { ...invoiceRunSchema, headers: receiptHeader }, ...errorResponses(409) },
      },
      config: {
        gate: {
          privileged: true,
          action: 'generate_invoices',
          // Delivered invoices cannot be called back: the receipt comes first.
          receipt: 'before',
          resource: ownResource('invoices', 'Invoices', 'confidential'),
          // A run that would invoice nothing leaves no receipt.
          ready: (request) => assertInvoiceable(deps.warehouse, request.principal!.tenant, (request.query as { period: string }).period, platformTenantOf(request)),
        },
      },
    },
    // Cedar decided generate_invoices (admins and operators): the invoices are the caller's tenant's.
    (request) => generateInvoices(deps.warehouse, deps.state, request.principal!.tenant, request.query.period, deps.webhook, platformTenantOf(request)),
  );

  app.get<{ Querystring: { period?: string } }>(
    '/v1/finops/invoices',
    {
      schema: {
        operationId: 'listInvoices',
        summary: 'Invoices issued or received, latest revision of each',
        description:
          'Invoices the caller\'s tenant issued (or, to a customer tenant, received from the platform operator): the latest revision of each, and whether it was delivered. ' +
          'Admins, operators, auditors and readers (decided, not receipted).',
        tags: ['finops'],
        querystring: { type: 'object', additionalProperties: false, properties: { period: { ...period, description: 'Only invoices of this month.' } } },
        response: { 200: invoiceListSchema },
      },
      config: { gate: ownInvoices },
    },
    (request) => listInvoices(deps.state, request.principal!.tenant, request.query.period, platformTenantOf(request)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/finops/invoices/:id',
    {
      schema: {
        operationId: 'getInvoice',
        summary: 'An invoice: the JSON artifact, or the CSV one with `Accept: text/csv`',
        description:
          'The latest revision of an invoice the caller\'s tenant issued or (from the platform operator) received; any other answers 404 like a missing one. ' +
          'Admins, operators, auditors and readers (decided, not receipted).',
        tags: ['finops'],
        params: idParams,
        response: {
          200: {
            description: 'The invoice.',
            content: {
              'application/json': { schema: invoiceSchema },
              'text/csv': { schema: { type: 'string', description: 'The CSV artifact (`Accept: text/csv`): one row per line, then a `total` row.' } },
            },
          },
          ...errorResponses(404),
        },
      },
      config: { gate: ownInvoices },
    },
    async (request, reply) => {
      const invoice = await readInvoice(deps.state, request.principal!.tenant, request.params.id, platformTenantOf(request));
      if (!wantsCsv(request)) return invoice.json;
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${invoice.invoice_id}.csv"`).send(invoice.csv);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/finops/invoices/:id/deliveries',
    {
      schema: {
        operationId: 'listInvoiceDeliveries',
        summary: "Every webhook delivery attempt of an invoice, with the receiver's answer",
        description: 'The issuer\'s record of delivering the invoice (the webhook is the issuer\'s). Admins, operators, auditors and readers (decided, not receipted).',
        tags: ['finops'],
        params: idParams,
        response: { 200: deliveriesSchema },
      },
      config: { gate: ownInvoices },
    },
    (request) => readDeliveries(deps.state, request.principal!.tenant, request.params.id),
  );
}
