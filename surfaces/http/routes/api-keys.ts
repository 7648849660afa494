import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_KEY_SCOPES, type ApiKeys, type ApiKeyScope, type ApiKeyView } from '../../../platform/identity/index.ts';
import type { StateTransaction } from '../../../kernel/state/index.ts';
import { errorResponses, ownResource } from '../kit/index.ts';

/** The longest an API key may live, and the longest a rotation's overlap. */
const MAX_KEY_DAYS = 366;
const MAX_OVERLAP_MINUTES = 7 * 24 * 60;

const keySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key_id', 'name', 'scopes', 'tenants', 'created_by', 'created_at', 'expires_at', 'status', 'previous_valid_until'],
  properties: {
    key_id: { type: 'string', description: 'The key\'s public id (the part of the key before the dot, after `cosk_`).' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: [...API_KEY_SCOPES] } },
    tenants: { type: 'array', items: { type: 'string' }, description: 'A connector key\'s tenants: the only ones its events may be for besides its own.' },
    created_by: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
    previous_valid_until: { type: ['string', 'null'], format: 'date-time', description: 'During a rotation\'s overlap: until when the previous secret still works.' },
  },
} as const;

const issuedSchema = {
  ...keySchema,
  required: [...keySchema.required, 'key'],
  properties: { ...keySchema.properties, key: { type: 'string', description: 'The key itself (`cosk_<id>.<secret>`): shown this once, never stored.' } },
} as const;

const keyParams = { type: 'object', required: ['key_id'], properties: { key_id: { type: 'string', maxLength: 64 } } } as const;

// Issuing, rotating and revoking machine credentials grants or withdraws access: decided as `grant`, receipted.
const keys = ownResource('api-keys', 'ApiKeys', 'confidential');
const privileged = { gate: { privileged: true, action: 'grant' as const, resource: keys } };

interface CreateBody {
  name: string;
  scopes: ApiKeyScope[];
  tenants?: string[];
  expires_in_days?: number;
}

/** Machine credentials of the caller's tenant: API keys with scopes, expiry, rotation with an overlap, revocation. */
export function apiKeyRoutes(app: FastifyInstance, deps: { apiKeys: ApiKeys }): void {
  const receipt = (request: FastifyRequest) => (tx: StateTransaction, written: ApiKeyView) => request.receiptIn!(tx, JSON.stringify(written));

  app.post<{ Body: CreateBody }>('/v1/api-keys', {
    schema: {
      operationId: 'createApiKey',
      summary: 'Issue an API key for a machine',
      description: 'Issues a key of the caller\'s tenant with scopes: `read` (GET routes), `ingest` (POST /v1/events), `connector` (POST /v1/events, also for the `tenants` named, within the grants of kernel/policies/data/tenants.json). The key is in the answer once; only its SHA-256 is stored. Admins and operators; receipted.',
      tags: ['identity'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'scopes'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128 },
          scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...API_KEY_SCOPES] } },
          tenants: { type: 'array', maxItems: 100, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 128 } },
          expires_in_days: { type: 'integer', minimum: 1, maximum: MAX_KEY_DAYS, default: 90 },
        },
        examples: [{ name: 'billing-exporter', scopes: ['ingest'], expires_in_days: 90 }],
      },
      response: { 201: issuedSchema, ...errorResponses(400, 403) },
    },
    config: privileged,
  }, async (request, reply) => {
    const { name, scopes, tenants, expires_in_days: days = 90 } = request.body;
    const issued = await deps.apiKeys.create(request.principal!.tenant, {
      name, scopes, tenants, createdBy: request.gate!.principalId, lifetimeDays: days,
    }, receipt(request));
    return reply.code(201).send({ ...issued.view, key: issued.key });
  });

  app.get('/v1/api-keys', {
    schema: {
      operationId: 'listApiKeys',
      summary: 'The tenant\'s API keys',
      description: 'Every key of the caller\'s tenant, without secrets (decided as an audit: admins, operators and auditors).',
      tags: ['identity'],
      response: { 200: { type: 'object', additionalProperties: false, required: ['keys'], properties: { keys: { type: 'array', items: keySchema } } }, ...errorResponses(403) },
    },
    config: { gate: { action: 'audit', resource: keys } },
  }, async (request) => ({ keys: await deps.apiKeys.list(request.principal!.tenant) }));

  app.post<{ Params: { key_id: string }; Body: { overlap_minutes?: number } }>('/v1/api-keys/:key_id/rotate', {
    schema: {
      operationId: 'rotateApiKey',
      summary: 'Rotate an API key (with an overlap)',
      description: 'A new secret for the key; the previous one keeps working for `overlap_minutes` (default 60, never past the key\'s expiry), so the machine can switch without a gap. Receipted.',
      tags: ['identity'],
      params: keyParams,
      body: {
        type: 'object', additionalProperties: false,
        properties: { overlap_minutes: { type: 'integer', minimum: 0, maximum: MAX_OVERLAP_MINUTES, default: 60 } },
        examples: [{ overlap_minutes: 60 }],
      },
      response: { 200: issuedSchema, ...errorResponses(400, 403, 404) },
    },
    config: privileged,
  }, async (request) => {
    const minutes = request.body?.overlap_minutes ?? 60;
    const rotated = await deps.apiKeys.rotate(request.principal!.tenant, request.params.key_id, minutes, receipt(request));
    return { ...rotated.view, key: rotated.key };
  });

  app.post<{ Params: { key_id: string } }>('/v1/api-keys/:key_id/revoke', {
    schema: {
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key now',
      description: 'The key (and a secret still in a rotation\'s overlap) stops working on its next request. Receipted.',
      tags: ['identity'],
      params: keyParams,
      response: { 200: keySchema, ...errorResponses(403, 404) },
    },
    config: privileged,
  }, async (request) => deps.apiKeys.revoke(request.principal!.tenant, request.params.key_id, receipt(request)));
}
