import type { FastifyReply, FastifyRequest } from 'fastify';

const COOKIE = 'companyos_token';

/**
 * A browser's bearer token, as an Authorization header value: from `?token=`
 * (the banner's link), which is then kept in an HttpOnly cookie so the page's
 * own links work, or from that cookie.
 */
export function browserToken(request: FastifyRequest, reply: FastifyReply): string | undefined {
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.token;
  if (typeof fromQuery === 'string' && fromQuery) {
    void reply.header('set-cookie', `${COOKIE}=${encodeURIComponent(fromQuery)}; Path=/reports; HttpOnly; SameSite=Strict`);
    return `Bearer ${fromQuery}`;
  }
  const cookie = (request.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? `Bearer ${decodeURIComponent(cookie.slice(COOKIE.length + 1))}` : undefined;
}
