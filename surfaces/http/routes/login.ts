import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../../kernel/errors/index.ts';
import { LOCAL_DEVELOPMENT, type LoginSessions, type OidcLogin } from '../../../platform/identity/index.ts';
import { clearSessionCookie, sessionCookie, setSessionCookie } from '../session-cookie.ts';

const hidden = { hide: true } as const;

/**
 * People's sign-in through their tenant's identity provider (OIDC authorization code with PKCE) and the
 * server-side session it leaves: the browser holds only an HttpOnly cookie, never a token in a URL.
 */
export function loginRoutes(root: FastifyInstance, deps: { login: OidcLogin; sessions: LoginSessions }): void {
  void root.register(async (app) => {
    // A page's sign-out button posts a form; its (empty) fields are not read.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, _body, done) => done(null, {}));
    sessionRoutes(app, deps);
  });
}

function sessionRoutes(app: FastifyInstance, deps: { login: OidcLogin; sessions: LoginSessions }): void {
  app.get<{ Querystring: { return_to?: string; signed_out?: string } }>('/auth/login', { config: { public: true }, schema: hidden }, async (request, reply) => {
    const returnTo = request.query.return_to ?? '/reports';
    const providers = deps.login.providers;
    // Signed out: stay here (the provider's own session would sign the person straight back in), and ask the
    // provider to authenticate again when they choose to.
    const signedOut = request.query.signed_out !== undefined;
    if (providers.length === 1 && !signedOut) return reply.redirect(loginHref(providers[0]!.name, returnTo), 303);
    const links = providers.map((provider) => `<li><a href="${escapeHtml(loginHref(provider.name, returnTo, signedOut))}">${escapeHtml(provider.name)}</a> (${escapeHtml(provider.tenant)})</li>`);
    const body = links.length
      ? `${signedOut ? '<p id="signed-out">You are signed out.</p>' : ''}<p>Sign in with your company's identity provider:</p><ul>${links.join('')}</ul>`
      : '<p>No identity provider is configured (<code>COMPANYOS_IDENTITY_PROVIDERS</code>). On a development machine, open the link <code>companyos start</code> printed.</p>';
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page('Sign in', body));
  });

  app.get<{ Params: { provider: string }; Querystring: { return_to?: string; prompt?: string } }>(
    '/auth/login/:provider',
    { config: { public: true }, schema: hidden },
    async (request, reply) => {
      const url = await deps.login.start(request.params.provider, request.query.return_to ?? '/reports', callbackUrl(request), request.query.prompt === 'login');
      return reply.header('cache-control', 'no-store').redirect(url.href, 303);
    },
  );

  app.get('/auth/callback', { config: { public: true }, schema: hidden }, async (request, reply) => {
    const login = await deps.login.finish(new URL(request.url, callbackUrl(request)));
    return setSessionCookie(request, reply, login.sessionId, login.expiresAt).redirect(login.returnTo, 303);
  });

  // `companyos start` without an identity provider prints a link with a one-use code: this turns it into a session.
  app.get<{ Querystring: { code?: string } }>('/auth/local', { config: { public: true }, schema: hidden }, async (request, reply) => {
    const attempt = request.query.code ? await deps.sessions.takeAttempt(request.query.code) : undefined;
    if (!attempt || attempt.provider !== LOCAL_DEVELOPMENT || !attempt.principal) throw new DomainError('LOGIN_STATE_UNKNOWN');
    const session = await deps.sessions.open(attempt.principal, LOCAL_DEVELOPMENT);
    return setSessionCookie(request, reply, session.id, session.expiresAt).redirect(attempt.returnTo, 303);
  });

  app.post(
    '/auth/session/refresh',
    { config: { public: true, ungated: 'the session itself is the credential: its id is replaced by a new one, nothing else changes' }, schema: hidden },
    async (request, reply) => {
      sameOrigin(request);
      const next = await deps.sessions.rotate(sessionCookie(request) ?? '');
      if (!next) throw new DomainError('AUTH_SESSION_ENDED');
      return setSessionCookie(request, reply, next.id, next.expiresAt).send({ expires_at: next.expiresAt.toISOString() });
    },
  );

  app.post(
    '/auth/logout',
    { config: { public: true, ungated: 'ends the caller\'s own session, whatever its roles' }, schema: hidden },
    async (request, reply) => {
      sameOrigin(request);
      await deps.sessions.end(sessionCookie(request) ?? '');
      return clearSessionCookie(request, reply).redirect('/auth/login?signed_out=1', 303);
    },
  );
}

/** This server's callback as the browser reaches it (the provider only sends the code to a registered one). */
function callbackUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/auth/callback`;
}

function loginHref(provider: string, returnTo: string, again = false): string {
  return `/auth/login/${encodeURIComponent(provider)}?return_to=${encodeURIComponent(returnTo)}${again ? '&prompt=login' : ''}`;
}

/** A browser's POST from another site's page (which SameSite=Lax already keeps the cookie from) is refused outright. */
function sameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin && origin !== 'null' && new URL(origin).host !== request.host) throw new DomainError('LOGIN_CROSS_SITE');
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · CompanyOS</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
