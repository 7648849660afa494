import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../../../kernel/errors/index.ts';
import { etag, parseFilter, SCIM_DISCOVERY, type AlsoInWrite, type ScimDirectory, type ScimKind, type StoredResource } from '../../../platform/identity/index.ts';
import { answerForFailure, httpStatusOf, ownResource } from '../kit/index.ts';
import { errorBody, toDomainError } from '../to-domain-error.ts';

const SCIM_TYPE = 'application/scim+json';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
/** The most resources one page lists (`ServiceProviderConfig.filter.maxResults`). */
const MAX_PAGE = 200;

const SCIM_TYPES: Partial<Record<ErrorCode, string>> = {
  SCIM_INVALID_FILTER: 'invalidFilter',
  SCIM_FILTER_UNSUPPORTED: 'invalidFilter',
  SCIM_INVALID_PATH: 'invalidPath',
  SCIM_INVALID_VALUE: 'invalidValue',
  SCIM_INVALID_PATCH: 'invalidSyntax',
  SCIM_NO_TARGET: 'noTarget',
  SCIM_MUTABILITY: 'mutability',
  SCIM_USER_EXISTS: 'uniqueness',
};

// Reading the directory is an audit of who has access; changing it grants or withdraws access (receipted).
const directory = ownResource('scim-directory', 'Directory', 'confidential');
const read = { gate: { action: 'audit' as const, resource: directory } };
const write = { gate: { privileged: true, action: 'grant' as const, resource: directory } };

type Parser = Parameters<FastifyInstance['addContentTypeParser']>[2];

/**
 * SCIM 2.0 (RFC 7643, 7644) for the tenant of the caller's token (an admin's or operator's): its identity
 * provider provisions people and groups here. Answers in `application/scim+json`, errors as SCIM errors.
 */
export function scimRoutes(root: FastifyInstance, deps: { directory: ScimDirectory; jsonParser: Parser }): void {
  void root.register(async (app) => {
    app.addContentTypeParser(SCIM_TYPE, { parseAs: 'string' }, deps.jsonParser);
    app.setErrorHandler((error: FastifyError, request, reply) => scimError(reply, answerForFailure(request, toDomainError(error))));
    app.setNotFoundHandler((request, reply) => scimError(reply, new DomainError('SCIM_NOT_FOUND', `There is no ${request.method} ${request.url}.`)));

    app.get('/ServiceProviderConfig', { config: read, schema: { hide: true } }, (request, reply) => send(reply, 200, SCIM_DISCOVERY.serviceProviderConfig(base(request))));
    app.get('/Schemas', { config: read, schema: { hide: true } }, (_request, reply) => send(reply, 200, list(SCIM_DISCOVERY.schemas, SCIM_DISCOVERY.schemas.length, 1)));
    app.get<{ Params: { id: string } }>('/Schemas/:id', { config: read, schema: { hide: true } }, (request, reply) =>
      send(reply, 200, found(SCIM_DISCOVERY.schemas.find((schema) => schema.id === request.params.id), request.params.id)));
    app.get('/ResourceTypes', { config: read, schema: { hide: true } }, (request, reply) => {
      const types = SCIM_DISCOVERY.resourceTypes(base(request));
      return send(reply, 200, list(types, types.length, 1));
    });
    app.get<{ Params: { id: string } }>('/ResourceTypes/:id', { config: read, schema: { hide: true } }, (request, reply) =>
      send(reply, 200, found(SCIM_DISCOVERY.resourceTypes(base(request)).find((type) => type.id === request.params.id), request.params.id)));

    for (const kind of ['User', 'Group'] as const) resourceRoutes(app, deps.directory, kind);
  }, { prefix: '/scim/v2' });
}

function resourceRoutes(app: FastifyInstance, directory: ScimDirectory, kind: ScimKind): void {
  const path = `/${kind}s`;
  type Query = { filter?: string; startIndex?: string; count?: string; attributes?: string; excludedAttributes?: string };
  app.get<{ Querystring: Query }>(path, { config: read, schema: { hide: true } }, async (request, reply) => {
    const { filter, startIndex, count } = request.query;
    const start = Math.max(1, Number.parseInt(startIndex ?? '1', 10) || 1);
    const size = Math.min(MAX_PAGE, Math.max(0, Number.parseInt(count ?? String(MAX_PAGE), 10) || 0));
    const page = await directory.list(request.principal!.tenant, kind, filter ? parseFilter(filter) : undefined, start, size);
    const resources = page.items.map((item) => shaped(request, item));
    return send(reply, 200, list(resources, page.total, start));
  });
  app.post(path, { config: write, schema: { hide: true } }, async (request, reply) => {
    const created = await directory.create(request.principal!.tenant, kind, request.body, receiptOf(request));
    const body = shaped(request, created);
    return send(reply.header('location', (body.meta as { location: string }).location).header('etag', etag(created.version)), 201, body);
  });
  app.get<{ Params: { id: string }; Querystring: Query }>(`${path}/:id`, { config: read, schema: { hide: true } }, async (request, reply) => {
    const item = await directory.get(request.principal!.tenant, kind, request.params.id);
    return send(reply.header('etag', etag(item.version)), 200, shaped(request, item));
  });
  app.put<{ Params: { id: string } }>(`${path}/:id`, { config: write, schema: { hide: true } }, async (request, reply) => {
    const item = await directory.replace(request.principal!.tenant, kind, request.params.id, request.body, ifMatch(request), receiptOf(request));
    return send(reply.header('etag', etag(item.version)), 200, shaped(request, item));
  });
  app.patch<{ Params: { id: string } }>(`${path}/:id`, { config: write, schema: { hide: true } }, async (request, reply) => {
    const item = await directory.patch(request.principal!.tenant, kind, request.params.id, request.body, ifMatch(request), receiptOf(request));
    return send(reply.header('etag', etag(item.version)), 200, shaped(request, item));
  });
  app.delete<{ Params: { id: string } }>(`${path}/:id`, { config: write, schema: { hide: true } }, async (request, reply) => {
    await directory.delete(request.principal!.tenant, kind, request.params.id, ifMatch(request), receiptOf(request));
    return reply.code(204).send();
  });
}

/** The resource as answered: `meta` added, and `attributes` / `excludedAttributes` applied (RFC 7644 §3.9). */
function shaped(request: FastifyRequest, item: StoredResource): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    ...item.resource,
    meta: { resourceType: item.kind, created: item.created.toISOString(), lastModified: item.updated.toISOString(), version: etag(item.version), location: `${base(request)}/${item.kind}s/${item.id}` },
  };
  const { attributes, excludedAttributes } = (request.query ?? {}) as { attributes?: string; excludedAttributes?: string };
  const named = (text: string) => text.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  if (attributes) {
    const keep = new Set([...named(attributes).map((name) => name.split('.')[0]!), 'id', 'schemas', 'meta']);
    for (const key of Object.keys(resource)) if (!keep.has(key.toLowerCase())) delete resource[key];
  }
  if (excludedAttributes) {
    const drop = new Set(named(excludedAttributes).filter((name) => name !== 'id' && name !== 'schemas'));
    for (const key of Object.keys(resource)) if (drop.has(key.toLowerCase())) delete resource[key];
  }
  return resource;
}

function list(resources: readonly unknown[], total: number, startIndex: number): Record<string, unknown> {
  return { schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

function found<T>(item: T | undefined, id: string): T {
  if (!item) throw new DomainError('SCIM_NOT_FOUND', `There is no ${id}.`);
  return item;
}

/** The change's receipt, appended in the change's own transaction. */
function receiptOf(request: FastifyRequest): AlsoInWrite {
  return (tx, written) => request.receiptIn!(tx, JSON.stringify(written));
}

function ifMatch(request: FastifyRequest): string | undefined {
  const header = request.headers['if-match'];
  return typeof header === 'string' ? header : undefined;
}

function base(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/scim/v2`;
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(SCIM_TYPE).send(JSON.stringify(body));
}

function scimError(reply: FastifyReply, error: DomainError): FastifyReply {
  const status = httpStatusOf(error);
  const scimType = SCIM_TYPES[error.code];
  // SCIM's fields, and the platform's own (`code`, `message`, a decision id) beside them.
  return send(reply, status, { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail: error.message, ...errorBody(error) });
}
