import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../kernel/ledger/index.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { checkIdentityProviders, TokenAuthority } from '../../platform/identity/index.ts';
import { buildServer } from '../../surfaces/http/index.ts';
import { TEST_SECRET } from '../../test/support/api.ts';
import { engineHarness, type EngineHarness } from '../../test/support/engines.ts';
import { providerKey, startOidcProvider, type LocalProvider, type ProviderKey } from '../../test/support/oidc-provider.ts';

const API = 'https://api.acme.companyos.test';
const REASON = { category: 'access-review', text: 'Q4 access review: FinOps analysts run governed exports' };

describe('High-Risk Ops: a governed change of how an identity provider\'s claims become roles', () => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  let app: FastifyInstance;
  let idp: LocalProvider;
  let key: ProviderKey;
  const tokens = new TokenAuthority(TEST_SECRET);
  const call = async (token: string, method: 'GET' | 'POST', url: string, payload?: object) => {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    return { status: response.statusCode, body: response.json() };
  };
  const analyst = () => {
    const now = Math.floor(Date.now() / 1000);
    return idp.sign({ iss: idp.issuer, aud: API, sub: 'u-ann', iat: now, exp: now + 600, email: 'ann@acme.example', groups: ['finops'] }, key);
  };
  const askForAccess = async (token: string) =>
    call(token, 'POST', '/v1/workflows/types/temporary-access/runs', { rationale: { category: 'support', text: 'on-call needs read access tonight' }, params: { grantee: 'oncall-1', role: 'reader', duration_minutes: 30 } });

  beforeAll(async () => {
    harness = await engineHarness('duckdb');
    warehouse = await harness.open();
    key = await providerKey('k1');
    idp = await startOidcProvider({ keys: [key], clients: {}, audiences: [API] });
    const providers = checkIdentityProviders({
      providers: [
        { name: 'acme-idp', tenant: 'acme', issuer: idp.issuer, audience: API, group_roles: { finops: ['reader', 'finance'] } },
        { name: 'globex-idp', tenant: 'globex', issuer: 'https://idp.globex.example', audience: API, group_roles: { staff: ['reader'] } },
      ],
    });
    app = await buildServer({ warehouse, tokens, logLevel: 'silent', identity: { providers } });
  });
  afterAll(async () => {
    await app?.close();
    await idp?.stop();
    await warehouse?.close();
    await harness?.cleanup();
  });

  it('previews whose roles change, needs another admin, activates the next revision for the next token, and receipts every step', async () => {
    const [ada, abe, cy, boss] = await Promise.all([
      tokens.mint({ tenant: 'acme', roles: ['admin'], subject: 'ada' }), tokens.mint({ tenant: 'acme', roles: ['admin'], subject: 'abe' }),
      tokens.mint({ tenant: 'acme', roles: ['admin'], subject: 'cy' }), tokens.mint({ tenant: 'acme', roles: ['approver'], subject: 'boss' }),
    ]);
    // Before: the analysts may read, not run workflows.
    expect((await askForAccess(await analyst())).status).toBe(403);

    const run = await call(ada, 'POST', '/v1/workflows/types/identity-mapping-change/runs', {
      rationale: REASON, params: { provider: 'acme-idp', mapping: { group_roles: { finops: ['reader', 'finance', 'operator'] }, allowed_domains: ['acme.example'] } },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(201);
    expect(run.body.status).toBe('awaiting-approval');
    const preflight = run.body.steps.find((step: { step: string; phase: string }) => step.step === 'preflight' && step.phase === 'completed').output;
    expect(preflight.result).toMatchObject({ provider: 'acme-idp', from_revision: 0, changes: [{ who: 'group finops', before: ['finance', 'reader'], after: ['finance', 'operator', 'reader'] }] });

    // Not the requester, and not a mere approver: another admin.
    expect((await call(ada, 'POST', `/v1/workflows/runs/${run.body.run_id}/approvals`, { decision: 'approve', rationale: REASON })).status).toBe(403);
    expect((await call(boss, 'POST', `/v1/workflows/runs/${run.body.run_id}/approvals`, { decision: 'approve', rationale: REASON })).status).toBe(403);
    expect((await call(abe, 'POST', `/v1/workflows/runs/${run.body.run_id}/approvals`, { decision: 'approve', rationale: REASON })).body.status).toBe('approved');
    const executed = await call(cy, 'POST', `/v1/workflows/runs/${run.body.run_id}/execute`);
    expect([executed.status, executed.body.status], JSON.stringify(executed.body)).toEqual([200, 'succeeded']);
    expect(await app.platform.identity.mappings.current(app.platform.identity.mappings.provider('acme', 'acme-idp'))).toMatchObject({ revision: 1, mapping: { group_roles: { finops: ['reader', 'finance', 'operator'] } } });

    // The next token of the same person carries the new roles.
    expect((await askForAccess(await analyst())).status).toBe(201);
    const bundle = await call(ada, 'GET', `/v1/workflows/runs/${run.body.run_id}/evidence`);
    expect(verifyBundle(bundle.body, app.ledgerStore.keyring.all()).failures).toEqual([]);
  });

  it('fails preflight for a mapping the schema refuses or another tenant\'s provider, and refuses malformed params', async () => {
    const ada = await tokens.mint({ tenant: 'acme', roles: ['admin'], subject: 'ada' });
    const request = (params: unknown) => call(ada, 'POST', '/v1/workflows/types/identity-mapping-change/runs', { rationale: REASON, params });
    const unknownRole = await request({ provider: 'acme-idp', mapping: { group_roles: { finops: ['root'] } } });
    expect(unknownRole.body.status).toBe('preflight-failed');
    const other = await request({ provider: 'globex-idp', mapping: { group_roles: { staff: ['admin'] } } });
    expect(other.body.status).toBe('preflight-failed');
    const issuer = await request({ provider: 'acme-idp', mapping: { group_roles: {}, issuer: 'https://evil.example' } });
    expect(issuer.body.status).toBe('preflight-failed');
    expect((await request({ provider: 'acme-idp' })).body.code).toBe('WORKFLOW_PARAMS_INVALID');
  });
});
