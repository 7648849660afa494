import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../../test/support/api.ts';
import { engineHarness, type EngineHarness } from '../../test/support/engines.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { TokenAuthority } from '../../platform/identity/auth.ts';
import { buildServer, type ServerOptions } from './server.ts';

/** A token signed with the test secret, claims exactly as given (no defaults added). */
function signed(claims: Record<string, unknown>, times: { iat?: number; exp?: number } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('companyos').setSubject('acme:test');
  if (times.iat !== undefined) jwt.setIssuedAt(times.iat);
  if (times.exp !== undefined) jwt.setExpirationTime(times.exp);
  return jwt.sign(new TextEncoder().encode(TEST_SECRET));
}

const now = () => Math.floor(Date.now() / 1000);
const acme = { tenant: 'acme', roles: ['reader'], env: 'dev', region: 'local' };

describe('bearer tokens and the report cookie', () => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  const servers: FastifyInstance[] = [];
  const tokens = new TokenAuthority(TEST_SECRET);
  const server = async (options: Partial<ServerOptions> = {}) => {
    const app = await buildServer({ warehouse, tokens, logLevel: 'silent', ...options });
    servers.push(app);
    return app;
  };
  const get = async (url: string, token: string, app?: FastifyInstance) =>
    (app ?? (await server())).inject({ url, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    harness = await engineHarness('duckdb');
    warehouse = await harness.open();
  });
  afterAll(async () => {
    for (const app of servers) await app.close();
    await warehouse.close();
    await harness.cleanup();
  });

  it('refuses a token without exp, with a lifetime beyond the limit, issued in the future, or without a known role', async () => {
    const app = await server();
    const cases: [string, Promise<string>][] = [
      ['AUTH_TOKEN_NO_EXPIRY', signed(acme, { iat: now() })],
      ['AUTH_TOKEN_TOO_LONG_LIVED', signed(acme, { iat: now(), exp: now() + 31 * 86_400 })],
      ['AUTH_TOKEN_TOO_LONG_LIVED', signed(acme, { exp: now() + 31 * 86_400 })],
      ['AUTH_TOKEN_NOT_YET_VALID', signed(acme, { iat: now() + 600, exp: now() + 3600 })],
      ['AUTH_TOKEN_NO_ROLES', signed({ ...acme, roles: [] }, { iat: now(), exp: now() + 3600 })],
      ['AUTH_TOKEN_NO_ROLES', signed({ ...acme, roles: ['superuser'] }, { iat: now(), exp: now() + 3600 })],
    ];
    for (const [code, token] of cases) {
      const response = await get('/v1/events/stats', await token, app);
      expect([response.statusCode, response.json().code]).toEqual([401, code]);
      expect(response.json().message).toMatch(/^The bearer token .+\.$/);
    }
    // A little clock skew is tolerated, and a token of exactly the longest lifetime is fine.
    expect((await get('/v1/events/stats', await signed(acme, { iat: now() + 30, exp: now() + 3600 }), app)).statusCode).toBe(200);
    expect((await get('/v1/events/stats', await signed(acme, { iat: now(), exp: now() + 30 * 86_400 }), app)).statusCode).toBe(200);
  });

  it('mints no token beyond the longest lifetime, and honours a configured one', async () => {
    await expect(tokens.mint({ tenant: 'acme', roles: ['reader'], expiresIn: '31d' })).rejects.toThrow(/at most 30d/);
    await expect(tokens.mint({ tenant: 'acme', roles: [] })).rejects.toThrow(/at least one role/);
    const strict = new TokenAuthority(TEST_SECRET, { maxTtlSeconds: 3600 });
    await expect(strict.mint({ tenant: 'acme', roles: ['reader'], expiresIn: '2h' })).rejects.toThrow(/at most 1h/);
    const app = await server({ tokens: strict });
    const response = await get('/v1/events/stats', await tokens.mint({ tenant: 'acme', roles: ['reader'], expiresIn: '2h' }), app);
    expect(response.json().code).toBe('AUTH_TOKEN_TOO_LONG_LIVED');
  });

  it("refuses another environment's token on every route, gated or not", async () => {
    const prod = await server({ policy: { env: 'prod' } });
    const devToken = await tokens.mint({ tenant: 'acme', roles: ['admin'], env: 'dev' });
    for (const url of ['/v1/events/stats', '/v1/events', '/v1/quarantine', '/v1/transforms/runs', '/v1/entities', '/reports/usage']) {
      const response = await get(url, devToken, prod);
      expect([url, response.statusCode, response.json().code]).toEqual([url, 401, 'AUTH_TOKEN_WRONG_ENV']);
    }
    expect((await get('/v1/events/stats', await tokens.mint({ tenant: 'acme', roles: ['admin'], env: 'prod' }), prod)).statusCode).toBe(200);
  });

  /** A session for `roles` of acme through the local development sign-in: its cookie. */
  const signIn = async (app: FastifyInstance, headers: Record<string, string> = {}) => {
    const code = await app.platform.identity.sessions.localSignIn({ tenant: 'acme', roles: ['reader'], subject: 'dev', env: 'dev', region: 'local' }, '/reports/usage', 60_000);
    const response = await app.inject({ url: `/auth/local?code=${code}`, headers });
    expect([response.statusCode, response.headers.location]).toEqual([303, '/reports/usage']);
    return String(response.headers['set-cookie']);
  };

  it('never reads a token from a page\'s URL: the browser is sent to sign in, and no cookie is made of it', async () => {
    const app = await server();
    const token = await tokens.mint({ tenant: 'acme', roles: ['reader'] });
    const response = await app.inject(`/reports/usage?from=2026-01-01&token=${token}`);
    expect([response.statusCode, response.headers.location]).toEqual([303, `/auth/login?return_to=${encodeURIComponent('/reports/usage?from=2026-01-01')}`]);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    // A script's bearer token still opens a page.
    expect((await get('/reports/usage', token, app)).statusCode).toBe(200);
  });

  it('signs a browser in with a session cookie (HttpOnly, SameSite=Lax, the whole site), served without a referrer', async () => {
    const app = await server();
    const cookie = await signIn(app);
    expect(cookie).toMatch(/^companyos_session=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    const page = await app.inject({ url: '/reports/usage', headers: { cookie: cookie.split(';')[0]! } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['set-cookie']).toBeUndefined();
    // An ended or made-up session: sent to sign in, the cookie cleared.
    const made = await app.inject({ url: '/reports/usage', headers: { cookie: 'companyos_session=made-up' } });
    expect([made.statusCode, String(made.headers['set-cookie'])]).toEqual([303, 'companyos_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax']);
  });

  it('marks the session cookie Secure when the page is served over TLS (through a trusted proxy)', async () => {
    expect(await signIn(await server({ trustProxy: true }), { 'x-forwarded-proto': 'https' })).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    // An untrusted client cannot claim TLS.
    expect(await signIn(await server(), { 'x-forwarded-proto': 'https' })).not.toContain('Secure');
  });

  it('writes no token into any log line, debug level included', async () => {
    const lines: string[] = [];
    const app = await server({ logLevel: 'debug', logStream: { write: (line) => void lines.push(line) } });
    const token = await tokens.mint({ tenant: 'acme', roles: ['reader'] });
    const secret = token.split('.')[2]!;
    await app.inject({ url: `/reports/usage?token=${token}` });
    await app.inject({ url: '/reports/usage', headers: { cookie: `companyos_token=${token}` } });
    await app.inject({ url: '/v1/events/stats', headers: { authorization: `Bearer ${token}` } });
    await app.inject({ url: `/v1/nowhere?token=${token}`, headers: { authorization: `Bearer ${token}` } });
    await app.inject({ url: `/reports/usage?token=${token}x` });
    await app.inject({ method: 'POST', url: `/v1/events?token=${token}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '{' });
    app.log.debug({ req: { headers: { authorization: `Bearer ${token}`, cookie: `companyos_token=${token}` } } }, 'headers');
    app.log.info(`a message that quotes ${token}`);
    const text = lines.join('');
    expect(text).toContain('incoming request');
    expect(text).toContain('/reports/usage');
    expect(text).not.toContain(secret);
  });
});
