import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toCsv } from '../../../platform/ingest/index.ts';
import { loadPages, navigation } from '../../reports/index.ts';
import { renderPage } from '../../reports/index.ts';
import type { TenantScope } from '../../../platform/tenancy/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { ownResource } from '../kit/index.ts';

/**
 * The report pages, live: rendered per request from the warehouse, scoped to
 * the caller's tenant. Browsers are signed in by a session (`routes/login.ts`:
 * the tenant's identity provider, or the local development link `companyos
 * start` prints); scripts send `Authorization: Bearer`.
 */
export function reportRoutes(app: FastifyInstance, deps: { scope(tenant: string): TenantScope; stateScope?(tenant: string): TenantScope; pagesDir?: string; flushEvents?(): Promise<void> }): void {
  const pages = loadPages(deps.pagesDir);
  const context = async (tenant: string) => ({
    scope: deps.scope(tenant),
    stateScope: deps.stateScope?.(tenant),
    nav: navigation(await pages),
    href: (slug: string) => `/reports/${slug}`,
    csvHref: (slug: string, query: string) => `/reports/${slug}/${query}.csv`,
  });

  app.get('/reports', { config: { browser: true }, schema: { hide: true } }, async (_request, reply) => {
    const first = [...(await pages).keys()][0];
    return reply.redirect(first ? `/reports/${first}` : '/openapi.json');
  });

  const servePage = async (slug: string, query: string | undefined, request: FastifyRequest, reply: FastifyReply) => {
    const page = (await pages).get(slug);
    if (!page) throw new DomainError('NOT_FOUND', `There is no report page ${slug}.`);
    // Pages read raw events too (stg_events): the platform's queued ones first.
    await deps.flushEvents?.();
    const rendered = await renderPage(page, await context(request.principal!.tenant));
    if (!query) return reply.type('text/html; charset=utf-8').send(rendered.html);
    const rows = rendered.results.get(query);
    if (!rows) throw new DomainError('NOT_FOUND', `The page ${slug} has no query ${query}.`);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${query}.csv"`).send(toCsv(rows));
  };
  const pageOf = (request: FastifyRequest, prefix: string) => {
    const path = prefix + (request.params as { '*': string })['*'].replace(/\/+$/, '');
    const csv = /^(.+)\/([A-Za-z_][A-Za-z0-9_]*)\.csv$/.exec(path);
    return { slug: csv ? csv[1]! : path, query: csv?.[2] };
  };

  // FinOps pages show the tenant's costs: decided as read_costs, like the FinOps API; the other pages as a read.
  app.get<{ Params: { '*': string } }>(
    '/reports/finops/*',
    { config: { browser: true, gate: { action: 'read_costs', resource: ownResource('reports', 'CostReports', 'confidential') } }, schema: { hide: true } },
    (request, reply) => {
      const { slug, query } = pageOf(request, 'finops/');
      return servePage(slug, query, request, reply);
    },
  );
  app.get<{ Params: { '*': string } }>(
    '/reports/*',
    { config: { browser: true, gate: { action: 'read', resource: ownResource('reports', 'Reports') } }, schema: { hide: true } },
    (request, reply) => {
      const { slug, query } = pageOf(request, '');
      return servePage(slug, query, request, reply);
    },
  );
}
