import type { FastifyReply, FastifyRequest } from 'fastify';

const COOKIE = 'companyos_token';

/**
 * A browser's bearer token, as an Authorization header value: from `?token=`
 * (the banner's link) or from the cookie that link leaves. `fromQuery` says the
 * token came in the URL: once it is verified, `keepInCookie` moves it out.
 */
export function browserToken(request: FastifyRequest): { authorization: string | undefined; fromQuery: boolean } {
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.token;
  if (typeof fromQuery === 'string' && fromQuery) return { authorization: `Bearer ${fromQuery}`, fromQuery: true };
  const cookie = (request.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
  return { authorization: cookie ? `Bearer ${decodeURIComponent(cookie.slice(COOKIE.length + 1))}` : undefined, fromQuery: false };
}

/**
 * A verified `?token=` becomes an HttpOnly cookie (Secure over TLS; Lax so the
 * link works when followed from another site), and the browser is sent to the
 * same URL without it: the token leaves the address bar, history and Referer.
 */
export function keepInCookie(request: FastifyRequest, reply: FastifyReply, token: string): FastifyReply {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return reply
    .header('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; Path=/reports; HttpOnly; SameSite=Lax${secure}`)
    .header('cache-control', 'no-store')
    .redirect(withoutToken(request.url), 303);
}

/** Report pages load nothing from elsewhere, but never tell anyone where they were. */
export function noReferrer(reply: FastifyReply): void {
  void reply.header('referrer-policy', 'no-referrer');
}

/** `url` (path and query) without its `token` parameter. */
export function withoutToken(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = new URLSearchParams(url.slice(at + 1));
  query.delete('token');
  const rest = query.toString();
  return rest ? `${url.slice(0, at)}?${rest}` : url.slice(0, at);
}
