import type { FastifyReply, FastifyRequest } from 'fastify';

const SESSION_COOKIE = 'companyos_session';

/** The session id the browser sent, if any. */
export function sessionCookie(request: FastifyRequest): string | undefined {
  const cookie = (request.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(SESSION_COOKIE.length + 1)) : undefined;
}

/**
 * Hands the browser its session id: HttpOnly (no script reads it), Secure over TLS, SameSite=Lax (sent
 * when a link from elsewhere is followed, never with another site's POST), gone at the session's end.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string, expiresAt: Date): FastifyReply {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(id)}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure(request)}`).header('cache-control', 'no-store');
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure(request)}`).header('cache-control', 'no-store');
}

function secure(request: FastifyRequest): string {
  return request.protocol === 'https' ? '; Secure' : '';
}

/** Report pages load nothing from elsewhere, but never tell anyone where they were. */
export function noReferrer(reply: FastifyReply): void {
  void reply.header('referrer-policy', 'no-referrer');
}

/** Where a browser without a session goes: sign-in, then back to `url` (minus any `token` a stale link carried). */
export function signInLocation(url: string): string {
  const at = url.indexOf('?');
  let back = url;
  if (at >= 0) {
    const query = new URLSearchParams(url.slice(at + 1));
    query.delete('token');
    back = query.size ? `${url.slice(0, at)}?${query}` : url.slice(0, at);
  }
  return `/auth/login?return_to=${encodeURIComponent(back)}`;
}
