import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../../test/support/api.ts';
import { engineHarness, type EngineHarness } from '../../test/support/engines.ts';
import { providerKey, startOidcProvider, type LocalProvider, type ProviderKey } from '../../test/support/oidc-provider.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { checkIdentityProviders, TokenAuthority } from '../../platform/identity/index.ts';
import { buildServer } from './server.ts';

const SCIM = 'application/scim+json';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const API = 'https://api.acme.companyos.test';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The SCIM 2.0 server against the steps of Okta's published SCIM 2.0 test suites ("SPEC" and "CRUD") and
 * the behaviours Microsoft Entra's SCIM validator requires, plus concurrency, tenant isolation and what
 * deprovisioning must end.
 */
describe('SCIM 2.0: what Okta\'s SPEC and CRUD suites and Entra\'s validator check', () => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  let app: FastifyInstance;
  let idp: LocalProvider;
  let key: ProviderKey;
  const tokens = new TokenAuthority(TEST_SECRET);
  const bearer: Record<string, string> = {};
  const scim = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}, as = 'acme') => {
    const response = await app.inject({
      method: method as 'GET', url: `/scim/v2${url}`,
      headers: { authorization: `Bearer ${bearer[as]}`, ...(body === undefined ? {} : { 'content-type': SCIM }), ...headers },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.statusCode, type: String(response.headers['content-type']), etag: response.headers.etag as string | undefined, location: response.headers.location, body: (response.body ? JSON.parse(response.body) : {}) as Json };
  };
  const userBody = (userName: string, more: Json = {}): Json => ({
    schemas: [USER], userName, name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Ada Lovelace', locale: 'en-US', externalId: `00u${randomUUID().slice(0, 8)}`, groups: [], password: '1mP0ssible!', active: true, ...more,
  });
  const patch = (...Operations: Json[]) => ({ schemas: [PATCH_OP], Operations });

  beforeAll(async () => {
    harness = await engineHarness('duckdb');
    warehouse = await harness.open();
    key = await providerKey('k1');
    idp = await startOidcProvider({ keys: [key], clients: {}, audiences: [API] });
    const providers = checkIdentityProviders({ providers: [{ name: 'acme-idp', tenant: 'acme', issuer: idp.issuer, audience: API, group_roles: { staff: ['reader'], ops: ['operator'] } }] });
    app = await buildServer({ warehouse, tokens, logLevel: 'silent', identity: { providers } });
    bearer.acme = await tokens.mint({ tenant: 'acme', roles: ['admin'], subject: 'okta-provisioning' });
    bearer.globex = await tokens.mint({ tenant: 'globex', roles: ['admin'], subject: 'globex-provisioning' });
    bearer.reader = await tokens.mint({ tenant: 'acme', roles: ['reader'], subject: 'someone' });
  });
  afterAll(async () => {
    await app?.close();
    await idp?.stop();
    await warehouse?.close();
    await harness?.cleanup();
  });

  it('SPEC: lists, finds by userName (case-insensitively), creates, refuses a duplicate, answers 404 as a SCIM error', async () => {
    const userName = `ada.${randomUUID().slice(0, 6)}@acme.example`;
    const none = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect([none.status, none.body.schemas, none.body.totalResults, none.body.Resources]).toEqual([200, [LIST], 0, []]);
    const created = await scim('POST', '/Users', userBody(userName));
    expect(created.status).toBe(201);
    expect(created.type).toContain(SCIM);
    expect([created.body.userName, created.body.active, created.body.name.givenName, typeof created.body.id]).toEqual([userName, true, 'Ada', 'string']);
    expect(created.location).toBe(`http://localhost:80/scim/v2/Users/${created.body.id}`);
    expect(created.body.meta).toMatchObject({ resourceType: 'User', version: 'W/"1"' });
    expect(created.etag).toBe('W/"1"');

    const page = await scim('GET', '/Users?count=1&startIndex=1');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ schemas: [LIST], startIndex: 1, itemsPerPage: 1 });
    expect(page.body.totalResults).toBeGreaterThanOrEqual(1);
    expect(page.body.Resources).toHaveLength(1);

    const one = await scim('GET', `/Users/${created.body.id}`);
    expect([one.status, one.body.id, one.body.userName]).toEqual([200, created.body.id, userName]);
    const byName = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName.toUpperCase()}"`)}`);
    expect([byName.body.totalResults, byName.body.Resources[0].id]).toEqual([1, created.body.id]);

    const again = await scim('POST', '/Users', userBody(userName.toUpperCase()));
    expect([again.status, again.body.schemas, again.body.status, again.body.scimType]).toEqual([409, [ERROR], '409', 'uniqueness']);
    const missing = await scim('GET', `/Users/${randomUUID()}`);
    expect([missing.status, missing.body.schemas, missing.body.status, typeof missing.body.detail]).toEqual([404, [ERROR], '404', 'string']);
    expect((await scim('GET', '/Groups')).status).toBe(200);
  });

  it('CRUD: replaces with PUT, deactivates with PATCH, and keeps groups: create, add and remove members, rename, delete', async () => {
    const created = (await scim('POST', '/Users', userBody(`grace.${randomUUID().slice(0, 6)}@acme.example`))).body;
    const put = await scim('PUT', `/Users/${created.id}`, { ...created, name: { givenName: 'Grace', familyName: 'Hopper' }, meta: undefined });
    expect([put.status, put.body.name.givenName, put.body.meta.version]).toEqual([200, 'Grace', 'W/"2"']);
    const off = await scim('PATCH', `/Users/${created.id}`, patch({ op: 'replace', value: { active: false } }));
    expect([off.status, off.body.active]).toEqual([200, false]);
    expect((await scim('GET', `/Users/${created.id}`)).body.active).toBe(false);

    const second = (await scim('POST', '/Users', userBody(`alan.${randomUUID().slice(0, 6)}@acme.example`))).body;
    const group = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'finops', members: [] });
    expect([group.status, group.body.displayName, group.body.members]).toEqual([201, 'finops', []]);
    const added = await scim('PATCH', `/Groups/${group.body.id}`, patch({ op: 'add', path: 'members', value: [{ value: created.id }, { value: second.id }] }));
    expect(added.body.members.map((member: Json) => member.value)).toEqual([created.id, second.id]);
    const removed = await scim('PATCH', `/Groups/${group.body.id}`, patch({ op: 'remove', path: `members[value eq "${created.id}"]` }));
    expect(removed.body.members.map((member: Json) => member.value)).toEqual([second.id]);
    const renamed = await scim('PATCH', `/Groups/${group.body.id}`, patch({ op: 'replace', path: 'displayName', value: 'finops-analysts' }));
    expect(renamed.body.displayName).toBe('finops-analysts');
    const found = await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "finops-analysts"')}`);
    expect(found.body.Resources.map((g: Json) => g.id)).toEqual([group.body.id]);
    // Deleting a person takes them out of every group.
    expect((await scim('DELETE', `/Users/${second.id}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${group.body.id}`)).body.members).toEqual([]);
    expect((await scim('DELETE', `/Groups/${group.body.id}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${group.body.id}`)).status).toBe(404);
  });

  it('Entra: scim+json, ListResponse discovery, the enterprise extension, excludedAttributes=members, capitalised ops, "False" as a string, filtered paths', async () => {
    for (const path of ['/Schemas', '/ResourceTypes']) {
      const discovery = await scim('GET', path);
      expect([discovery.status, discovery.body.schemas]).toEqual([200, [LIST]]);
      expect(discovery.type).toContain(SCIM);
    }
    expect((await scim('GET', '/Schemas')).body.Resources.map((schema: Json) => schema.id)).toEqual([USER, GROUP, ENTERPRISE]);
    expect((await scim('GET', '/ServiceProviderConfig')).body.patch).toEqual({ supported: true });

    const user = (await scim('POST', '/Users', userBody(`entra.${randomUUID().slice(0, 6)}@acme.example`, { [ENTERPRISE]: { department: 'Finance' } }))).body;
    expect(user[ENTERPRISE].department).toBe('Finance');
    const changed = await scim('PATCH', `/Users/${user.id}`, patch(
      { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Platform' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@acme.example' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
      { op: 'Replace', path: 'name.familyName', value: 'Byron' },
      { op: 'Replace', path: 'active', value: 'False' },
    ));
    expect(changed.status).toBe(200);
    expect([changed.body[ENTERPRISE].department, changed.body.emails[0].value, changed.body.phoneNumbers, changed.body.name.familyName, changed.body.active])
      .toEqual(['Platform', 'new@acme.example', [{ type: 'mobile', value: '+1 555 0100' }], 'Byron', false]);
    const byExternal = await scim('GET', `/Users?filter=${encodeURIComponent(`externalId eq "${user.externalId}"`)}`);
    expect(byExternal.body.Resources.map((u: Json) => u.id)).toEqual([user.id]);

    const group = (await scim('POST', '/Groups', { schemas: [GROUP], displayName: `entra-${randomUUID().slice(0, 6)}`, members: [{ value: user.id }] })).body;
    const lean = await scim('GET', `/Groups/${group.id}?excludedAttributes=members`);
    expect([lean.body.members, lean.body.displayName]).toEqual([undefined, group.displayName]);
    const listLean = await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${group.displayName}"`)}`);
    expect(listLean.body.Resources[0].members).toBeUndefined();
    const out = await scim('PATCH', `/Groups/${group.id}`, patch({ op: 'Remove', path: 'members', value: [{ value: user.id }] }));
    expect(out.body.members).toEqual([]);
    // Malformed requests: SCIM errors with their scimType, never a 5xx.
    const cases: [unknown, number, string][] = [
      [patch({ op: 'move', path: 'displayName', value: 'x' }), 400, 'invalidSyntax'],
      [patch({ op: 'replace', path: 'members[value eq', value: 'x' }), 400, 'invalidPath'],
      [patch({ op: 'replace', path: 'id', value: 'x' }), 400, 'mutability'],
      [patch({ op: 'add', path: 'members', value: [{ value: randomUUID() }] }), 400, 'invalidValue'],
    ];
    for (const [body, status, scimType] of cases) {
      const refused = await scim('PATCH', `/Groups/${group.id}`, body);
      expect([refused.status, refused.body.scimType], JSON.stringify(body)).toEqual([status, scimType]);
    }
    const badFilter = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq')}`);
    expect([badFilter.status, badFilter.body.scimType]).toEqual([400, 'invalidFilter']);
  });

  it('converges 50 concurrent group PATCHes to one state, and refuses a stale If-Match with 412', async () => {
    const people = await Promise.all(Array.from({ length: 50 }, (_, i) => scim('POST', '/Users', userBody(`p${i}.${randomUUID().slice(0, 6)}@acme.example`))));
    const group = (await scim('POST', '/Groups', { schemas: [GROUP], displayName: `crowd-${randomUUID().slice(0, 6)}` })).body;
    const answers = await Promise.all(people.map((person) => scim('PATCH', `/Groups/${group.id}`, patch({ op: 'add', path: 'members', value: [{ value: person.body.id }] }))));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const final = await scim('GET', `/Groups/${group.id}`);
    expect(new Set(final.body.members.map((member: Json) => member.value))).toEqual(new Set(people.map((person) => person.body.id)));
    expect(final.etag).toBe('W/"51"');
    const stale = await scim('PATCH', `/Groups/${group.id}`, patch({ op: 'replace', path: 'displayName', value: 'x' }), { 'if-match': 'W/"50"' });
    expect([stale.status, stale.body.status]).toEqual([412, '412']);
    expect((await scim('PATCH', `/Groups/${group.id}`, patch({ op: 'replace', path: 'displayName', value: 'crowd' }), { 'if-match': final.etag! })).status).toBe(200);
  });

  it('keeps tenants apart, and only admins and operators may provision (each change receipted)', async () => {
    const acmeUser = (await scim('POST', '/Users', userBody(`iso.${randomUUID().slice(0, 6)}@acme.example`))).body;
    expect((await scim('GET', `/Users/${acmeUser.id}`, undefined, {}, 'globex')).status).toBe(404);
    expect((await scim('PATCH', `/Users/${acmeUser.id}`, patch({ op: 'replace', value: { active: false } }), {}, 'globex')).status).toBe(404);
    const globexList = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${acmeUser.userName}"`)}`, undefined, {}, 'globex');
    expect(globexList.body.totalResults).toBe(0);
    // A group of globex cannot hold acme's person.
    const refused = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'mixed', members: [{ value: acmeUser.id }] }, {}, 'globex');
    expect([refused.status, refused.body.scimType]).toEqual([400, 'invalidValue']);
    const reader = await scim('POST', '/Users', userBody('nope@acme.example'), {}, 'reader');
    expect([reader.status, reader.body.schemas]).toEqual([403, [ERROR]]);
    const receipts = await app.platform.state.query<{ n: number }>("SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = 'acme'");
    expect(Number(receipts[0]!.n)).toBeGreaterThan(50);
  });

  it('deprovisioning (active=false, or a delete) ends the person\'s sessions and refuses their provider tokens at once', async () => {
    const externalId = `00u${randomUUID().slice(0, 8)}`;
    const user = (await scim('POST', '/Users', userBody(`leaver.${randomUUID().slice(0, 6)}@acme.example`, { externalId }))).body;
    const principal = { tenant: 'acme', roles: ['reader' as const], subject: `acme-idp:${externalId}`, env: 'dev', region: 'local' };
    const session = await app.platform.identity.sessions.open(principal, 'acme-idp');
    const now = Math.floor(Date.now() / 1000);
    const token = await idp.sign({ iss: idp.issuer, aud: API, sub: externalId, iat: now, exp: now + 600, groups: ['staff', 'ops'] }, key);
    const stats = () => app.inject({ url: '/v1/events/stats', headers: { authorization: `Bearer ${token}` } });
    expect((await stats()).statusCode).toBe(200);
    expect(await app.platform.identity.sessions.principal(session.id)).toEqual(principal);
    // A run the person asked for, waiting for approval: withdrawn with the person.
    const asked = await app.inject({
      method: 'POST', url: '/v1/workflows/types/temporary-access/runs', headers: { authorization: `Bearer ${token}` },
      payload: { rationale: { category: 'support', text: 'on-call needs read access tonight' }, params: { grantee: 'oncall-1', role: 'reader', duration_minutes: 30 } },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    expect(asked.json().status).toBe('awaiting-approval');

    expect((await scim('PATCH', `/Users/${user.id}`, patch({ op: 'replace', path: 'active', value: false }))).status).toBe(200);
    expect(await app.platform.identity.sessions.principal(session.id)).toBeUndefined();
    const refused = await stats();
    expect([refused.statusCode, refused.json().code]).toEqual([401, 'AUTH_ACCOUNT_DEPROVISIONED']);
    expect((await app.platform.workflows.get('acme', asked.json().run_id)).status).toBe('cancelled');
    // Reactivated: tokens work again (their sessions stay ended; they sign in again).
    await scim('PATCH', `/Users/${user.id}`, patch({ op: 'replace', path: 'active', value: true }));
    expect((await stats()).statusCode).toBe(200);
    // Deleted: refused again, for good.
    expect((await scim('DELETE', `/Users/${user.id}`)).status).toBe(204);
    expect((await stats()).json().code).toBe('AUTH_ACCOUNT_DEPROVISIONED');
  });
});
