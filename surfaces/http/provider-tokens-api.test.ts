import type { FastifyInstance } from 'fastify';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../../test/support/api.ts';
import { engineHarness, type EngineHarness } from '../../test/support/engines.ts';
import { providerKey, startOidcProvider, type LocalProvider, type ProviderKey } from '../../test/support/oidc-provider.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { checkIdentityProviders, TokenAuthority, type IdentityProvider } from '../../platform/identity/index.ts';
import { buildServer } from './server.ts';

const API = 'https://api.acme.companyos.test';
const now = () => Math.floor(Date.now() / 1000);

describe("a tenant's identity provider: its access tokens call the API", () => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  let app: FastifyInstance;
  let idp: LocalProvider;
  let first: ProviderKey;
  const tokens = new TokenAuthority(TEST_SECRET);
  const stats = async (token: string) => {
    const response = await app.inject({ url: '/v1/events/stats', headers: { authorization: `Bearer ${token}` } });
    return [response.statusCode, response.json().code ?? response.json().tenant] as const;
  };
  const person = (claims: Record<string, unknown>, key = first, lifetime = 600) =>
    idp.sign({ iss: idp.issuer, aud: API, sub: 'u-1', iat: now(), exp: now() + lifetime, email: 'alice@acme.example', email_verified: true, groups: ['finops'], ...claims }, key);

  beforeAll(async () => {
    harness = await engineHarness('duckdb');
    warehouse = await harness.open();
    first = await providerKey('k1');
    idp = await startOidcProvider({
      keys: [first],
      clients: { 'acme-etl': 'acme-etl-secret-0123456789abcdef', 'acme-unmapped': 'acme-unmapped-secret-0123456789ab' },
      audiences: [API, 'https://other-service.example'],
    });
    const providers: IdentityProvider[] = checkIdentityProviders({
      providers: [
        {
          name: 'acme-idp', tenant: 'acme', issuer: idp.issuer, audience: API, allowed_domains: ['acme.example'],
          group_roles: { finops: ['reader', 'finance'], 'platform-admins': ['admin'] }, machine_clients: { 'acme-etl': ['reader'] },
        },
        // A provider that is down: its tokens cannot be checked, and that is not the caller's fault.
        { name: 'down-idp', tenant: 'globex', issuer: 'http://127.0.0.1:9', audience: API, group_roles: { everyone: ['reader'] } },
      ],
    });
    app = await buildServer({
      warehouse, tokens, logLevel: 'silent',
      identity: { providers, jwksCacheMs: 400, fetchTimeoutMs: 2000 },
    });
  });
  afterAll(async () => {
    await app?.close();
    await idp?.stop();
    await warehouse?.close();
    await harness?.cleanup();
  });

  it("accepts a machine client's client-credentials token and a person's token, for the tenant the provider is configured for", async () => {
    expect(await stats(await idp.clientToken('acme-etl', 'acme-etl-secret-0123456789abcdef', API))).toEqual([200, 'acme']);
    // The tenant is the provider's, whatever the token claims.
    expect(await stats(await person({ tenant: 'globex' }))).toEqual([200, 'acme']);
    // The platform's own tokens still work beside them.
    expect(await stats(await tokens.mint({ tenant: 'globex', roles: ['reader'] }))).toEqual([200, 'globex']);
  });

  it('refuses a token for another audience, an expired one, an unmapped client or group, and a person outside the allowed domains', async () => {
    expect(await stats(await idp.clientToken('acme-etl', 'acme-etl-secret-0123456789abcdef', 'https://other-service.example'))).toEqual([401, 'AUTH_TOKEN_WRONG_AUDIENCE']);
    expect(await stats(await person({ iat: now() - 1200, exp: now() - 600 }))).toEqual([401, 'AUTH_TOKEN_EXPIRED']);
    expect(await stats(await person({ exp: undefined }))).toEqual([401, 'AUTH_TOKEN_NO_EXPIRY']);
    expect(await stats(await idp.clientToken('acme-unmapped', 'acme-unmapped-secret-0123456789ab', API))).toEqual([401, 'AUTH_TOKEN_NO_ROLES']);
    expect(await stats(await person({ groups: ['interns'] }))).toEqual([401, 'AUTH_TOKEN_NO_ROLES']);
    expect(await stats(await person({ email: 'mallory@evil.example' }))).toEqual([401, 'AUTH_DOMAIN_NOT_ALLOWED']);
    expect(await stats(await person({ email_verified: false }))).toEqual([401, 'AUTH_DOMAIN_NOT_ALLOWED']);
    expect(await stats(await person({ email: 'alice@acme.example.evil.example' }))).toEqual([401, 'AUTH_DOMAIN_NOT_ALLOWED']);
  });

  it("refuses forgeries: another key, an HMAC over the provider's name, an unsigned token", async () => {
    expect(await stats(await person({}, await providerKey('k1')))).toEqual([401, 'AUTH_INVALID_TOKEN']);
    const claims = { iss: idp.issuer, aud: API, sub: 'u-1', exp: now() + 600, groups: ['platform-admins'], email: 'a@acme.example' };
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new TextEncoder().encode(TEST_SECRET));
    expect(await stats(hmac)).toEqual([401, 'AUTH_INVALID_TOKEN']);
    expect(await stats(new UnsecuredJWT(claims).encode())).toEqual([401, 'AUTH_INVALID_TOKEN']);
    expect(await stats('not-a-jwt')).toEqual([401, 'AUTH_INVALID_TOKEN']);
  });

  it("follows the provider's key rotation: a new key works at once, a key rotated out stops working once its keys are fetched again", async () => {
    const before = await person({});
    expect(await stats(before)).toEqual([200, 'acme']);
    const second = await providerKey('k2');
    idp.rotate([second]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stats(await idp.clientToken('acme-etl', 'acme-etl-secret-0123456789abcdef', API))).toEqual([200, 'acme']);
    expect(await stats(await person({}, second))).toEqual([200, 'acme']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [status, code] = await stats(before);
    expect([status, code]).toEqual([401, 'AUTH_INVALID_TOKEN']);
  });

  it('answers 503, not 401, while a provider cannot be reached to check a token', async () => {
    const token = await new SignJWT({ groups: ['everyone'] }).setProtectedHeader({ alg: 'RS256', kid: 'x' })
      .setIssuer('http://127.0.0.1:9').setAudience(API).setSubject('u').setExpirationTime(now() + 60).sign((await providerKey('x')).privateKey);
    expect(await stats(token)).toEqual([503, 'AUTH_PROVIDER_UNAVAILABLE']);
  });
});

describe('the identity providers file', () => {
  const valid = { name: 'acme-idp', tenant: 'acme', issuer: 'https://idp.acme.example', audience: API, group_roles: { finops: ['reader'] } };
  it('names what is wrong: an unknown role, a missing field, two providers for one issuer and audience', () => {
    expect(() => checkIdentityProviders({ providers: [{ ...valid, group_roles: { finops: ['root'] } }] })).toThrow(/group_roles\/finops\/0 must be equal to one of the allowed values/);
    expect(() => checkIdentityProviders({ providers: [{ ...valid, tenant: undefined }] })).toThrow(/must have required property 'tenant'/);
    expect(() => checkIdentityProviders({ providers: [valid, { ...valid, name: 'again', tenant: 'globex' }] })).toThrow(/same issuer https:\/\/idp.acme.example with audience/);
    expect(checkIdentityProviders({ providers: [valid, { ...valid, name: 'globex-idp', tenant: 'globex', audience: 'https://api.globex.example' }] })).toHaveLength(2);
  });
});
