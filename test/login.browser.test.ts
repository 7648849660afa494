import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, ensureChromium } from '../dev/chromium.ts';
import { freePort } from '../dev/free-ports.ts';
import type { Warehouse } from '../kernel/warehouse/index.ts';
import { checkIdentityProviders, TokenAuthority } from '../platform/identity/index.ts';
import { buildServer } from '../surfaces/http/index.ts';
import { TEST_SECRET } from './support/api.ts';
import { engineHarness, type EngineHarness } from './support/engines.ts';
import { providerKey, startOidcProvider, type LocalProvider } from './support/oidc-provider.ts';

const API = 'https://api.acme.companyos.test';
const WEB_SECRET = 'companyos-web-secret-0123456789abcdef';

/**
 * People sign in to the report pages through their tenant's identity provider (`oidc-provider` on
 * loopback, its own sign-in form) in headless Chromium: authorization code with PKCE, a server-side
 * session in an HttpOnly cookie, refreshed (a new id, the old one dead), then signed out.
 */
describe('signing in to the report pages through the tenant\'s identity provider', () => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  let app: FastifyInstance;
  let idp: LocalProvider;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
    harness = await engineHarness('duckdb');
    warehouse = await harness.open();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider({
      keys: [await providerKey('k1')],
      clients: {},
      audiences: [API],
      webClients: [{ clientId: 'companyos-web', secret: WEB_SECRET, redirectUri: `${base}/auth/callback` }],
      people: {
        alice: { email: 'alice@acme.example', email_verified: true, groups: ['finops'] },
        mallory: { email: 'mallory@evil.example', email_verified: true, groups: ['finops'] },
      },
    });
    const providers = checkIdentityProviders({
      providers: [{
        name: 'acme-idp', tenant: 'acme', issuer: idp.issuer, audience: API, client_id: 'companyos-web', client_secret: WEB_SECRET,
        allowed_domains: ['acme.example'], group_roles: { finops: ['reader', 'finance'] },
      }],
    });
    app = await buildServer({ warehouse, tokens: new TokenAuthority(TEST_SECRET), logLevel: 'silent', identity: { providers } });
    await app.listen({ port, host: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await idp?.stop();
    await warehouse?.close();
    await harness?.cleanup();
  });

  const signIn = async (login: string) => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const urls: string[] = [];
    tab.on('request', (request) => urls.push(request.url()));
    await tab.goto(`${base}/reports/usage`);
    // The provider's own sign-in form, then its consent page.
    expect(new URL(tab.url()).origin).toBe(idp.issuer);
    await tab.fill('input[name=login]', login);
    await tab.fill('input[name=password]', 'any password');
    await tab.click('button[type=submit]');
    // The page the sign-in led to, loaded before it is asked whether it is the consent form.
    await tab.waitForLoadState('load');
    if (await tab.locator('button[type=submit]').count()) await tab.click('button[type=submit]');
    await tab.waitForLoadState('load');
    return { context, tab, urls };
  };
  const sessionOf = async (context: Awaited<ReturnType<typeof signIn>>['context']) =>
    (await context.cookies(base)).find((cookie) => cookie.name === 'companyos_session');

  it('signs in with authorization code and PKCE, keeps only an HttpOnly session cookie, refreshes it, and after logout the page refuses', { timeout: 120_000 }, async () => {
    const { context, tab, urls } = await signIn('alice');
    expect(tab.url()).toBe(`${base}/reports/usage`);
    expect(await tab.title()).toMatch(/usage/i);
    // PKCE: the authorization request carried an S256 challenge; no token ever travelled in a URL.
    const authorize = new URL(urls.find((url) => url.startsWith(`${idp.issuer}/auth?`))!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(urls.filter((url) => /[?&#](token|access_token|id_token)=/.test(url))).toEqual([]);
    const cookie = (await sessionOf(context))!;
    expect([cookie.httpOnly, cookie.sameSite, cookie.path]).toEqual([true, 'Lax', '/']);
    expect(cookie.expires).toBeGreaterThan(Date.now() / 1000 + 11 * 3600);
    // The login is decided (in the decision log) and receipted in acme's ledger, naming the decision.
    const receipts = await app.platform.state.query<{ n: number }>("SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = 'acme' AND receipt_id LIKE 'login/%'");
    expect(Number(receipts[0]!.n)).toBe(1);
    const decided = (await app.platform.decisions.query('acme', { limit: 100 })).filter((decision) => decision.route === '/auth/callback');
    expect(decided.map((decision) => [decision.input.principal, decision.result.decision])).toEqual([['acme/acme-idp:alice', 'allow']]);

    // Refresh: a new id in the cookie; the old one no longer opens anything.
    expect(await tab.evaluate(() => fetch('/auth/session/refresh', { method: 'POST' }).then((r) => r.status))).toBe(200);
    const refreshed = (await sessionOf(context))!;
    expect(refreshed.value).not.toBe(cookie.value);
    const withOld = await fetch(`${base}/reports/usage`, { headers: { cookie: `companyos_session=${cookie.value}` }, redirect: 'manual' });
    expect([withOld.status, withOld.headers.get('location')]).toEqual([303, '/auth/login?return_to=%2Freports%2Fusage']);
    expect((await fetch(`${base}/auth/session/refresh`, { method: 'POST', headers: { cookie: `companyos_session=${cookie.value}` } })).status).toBe(401);
    expect((await tab.goto(`${base}/reports/usage`))?.status()).toBe(200);

    // Another site's page cannot sign the person out (nor refresh).
    const crossSite = await fetch(`${base}/auth/logout`, { method: 'POST', headers: { cookie: `companyos_session=${refreshed.value}`, origin: 'https://evil.example' }, redirect: 'manual' });
    expect(crossSite.status).toBe(403);

    // Sign out with a form, as a page's button does: the platform's session ends, the cookie goes.
    await tab.evaluate("const form = document.createElement('form'); form.method = 'POST'; form.action = '/auth/logout'; document.body.append(form); form.submit();");
    await tab.waitForURL(`${base}/auth/login?signed_out=1`);
    expect(await tab.locator('#signed-out').count()).toBe(1);
    expect(await sessionOf(context)).toBeUndefined();
    // The page then refuses: this browser is sent to sign in, and the ended session's id opens nothing.
    const after = await context.request.get(`${base}/reports/usage`, { maxRedirects: 0 });
    expect([after.status(), after.headers().location]).toEqual([303, '/auth/login?return_to=%2Freports%2Fusage']);
    const withEnded = await fetch(`${base}/reports/usage`, { headers: { cookie: `companyos_session=${refreshed.value}` }, redirect: 'manual' });
    expect(withEnded.status).toBe(303);
    // Signing in again from there asks the provider for the person's credentials again.
    await tab.click('a[href*="prompt=login"]');
    expect(new URL(tab.url()).origin).toBe(idp.issuer);
    expect(await tab.locator('input[name=password]').count()).toBe(1);
    await context.close();
  });

  it('refuses a person of a domain the tenant does not allow, and a replayed callback', { timeout: 120_000 }, async () => {
    const { context, tab, urls } = await signIn('mallory');
    expect(await tab.locator('body').innerText()).toMatch(/AUTH_DOMAIN_NOT_ALLOWED/);
    expect(await sessionOf(context)).toBeUndefined();
    // The callback (code and state) a second time: the state was used.
    const callback = urls.find((url) => url.startsWith(`${base}/auth/callback?`))!;
    const replay = await fetch(callback, { redirect: 'manual' });
    expect([replay.status, ((await replay.json()) as { code: string }).code]).toEqual([400, 'LOGIN_STATE_UNKNOWN']);
    await context.close();
  });
});
