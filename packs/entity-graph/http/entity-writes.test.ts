import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../../platform/identity/auth.ts';
import { apiHarness, type ApiHarness } from '../../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Issue 15, items 3, 7, 8 and 9, one request at a time: the concurrent cases are in entities-concurrency.test.ts. */
describe.each(TEST_ENGINES)('Entity writes on %s', (engine) => {
  const db = useWarehouse(engine);
  const apps: ApiHarness[] = [];
  let api: ApiHarness;
  let alice: string; // operator
  let wanda: string; // writer
  let bob: string; // approver
  let carol: string; // approver

  const serve = async (policy?: { env: string; region: string }) => {
    const harness = await apiHarness(db.warehouse, policy ? { policy } : {});
    apps.push(harness);
    return harness;
  };
  const token = (subject: string, roles: Role[], claims: { env?: string; region?: string } = {}) => api.tokens.mint({ tenant: 'acme', roles, subject, ...claims });

  beforeEach(async () => {
    api = await serve();
    [alice, wanda, bob, carol] = await Promise.all([token('alice', ['operator']), token('wanda', ['writer']), token('bob', ['approver']), token('carol', ['approver'])]);
  });
  afterEach(async () => {
    for (const harness of apps.splice(0)) await harness.app.close();
  });

  const call = (who: string, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}, on = api) =>
    on.app.inject({ method, url, headers: { authorization: `Bearer ${who}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const ledgerSize = async () => Number((await api.app.platform.state.query<{ n: number }>('SELECT count(*) AS n FROM ledger_entries'))[0]!.n);

  async function create(body: Record<string, unknown>, who = alice, on = api) {
    const response = await call(who, 'POST', '/v1/entities', body, {}, on);
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; version: number; receipt_id: string };
  }

  it('item 3: a PATCH is decided on the state it would produce too; id, type and tenant cannot change', async () => {
    const asset = await create({ type: 'Asset', name: 'db-1', data_class: 'internal' }, wanda);
    // This dev server refuses restricted records to everyone: a writer cannot make one restricted.
    const restricted = await call(wanda, 'PATCH', `/v1/entities/${asset.id}`, { data_class: 'restricted' });
    expect([restricted.statusCode, restricted.json().code]).toEqual([403, 'POLICY_DENIED']);
    expect(restricted.json().reasons).toContain('restricted-data-prod-only');
    for (const [field, value] of [['tenant', 'globex'], ['type', 'Person'], ['id', 'other-id']] as const) {
      const refused = await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { name: 'moved', [field]: value });
      expect([refused.statusCode, refused.json().code], field).toEqual([400, 'ENTITY_FIELD_IMMUTABLE']);
    }
    // Sending them back unchanged (a read, edited) is fine.
    const edited = await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { id: asset.id, type: 'Asset', tenant: 'acme', name: 'db-1b' });
    expect(edited.statusCode, edited.body).toBe(200);
    expect((await call(alice, 'GET', `/v1/entities/${asset.id}`)).json()).toMatchObject({ tenant: 'acme', type: 'Asset', name: 'db-1b', data_class: 'internal', version: 2 });

    // A prod server in eu-west-1 holds restricted records of its own region only: moving one away is refused, and so is a batch hiding one.
    const prod = await serve({ env: 'prod', region: 'eu-west-1' });
    const euAdmin = await prod.tokens.mint({ tenant: 'acme', roles: ['admin'], subject: 'ada', env: 'prod', region: 'eu-west-1' });
    const secret = await create({ type: 'Asset', name: 'keys', data_class: 'restricted', region: 'eu-west-1' }, euAdmin, prod);
    const moved = await call(euAdmin, 'PATCH', `/v1/entities/${secret.id}`, { region: 'us-east-1' }, {}, prod);
    expect([moved.statusCode, moved.json().code]).toEqual([403, 'POLICY_DENIED']);
    expect(moved.json().reasons).toContain('restricted-data-residency');
    const batch = await call(euAdmin, 'POST', '/v1/entities:batch', {
      entities: [
        { type: 'Asset', name: 'eu keys', data_class: 'restricted', region: 'eu-west-1' },
        { type: 'Asset', name: 'us keys', data_class: 'restricted', region: 'us-east-1' },
      ],
    }, {}, prod);
    expect([batch.statusCode, batch.json().code]).toEqual([403, 'POLICY_DENIED']);
    // An edge changes both its ends: a writer of another region may link its own records, not a restricted one.
    const hub = await create({ type: 'Workflow', name: 'hub' }, euAdmin, prod);
    const usWriter = await prod.tokens.mint({ tenant: 'acme', roles: ['writer'], subject: 'uma', env: 'prod', region: 'us-east-1' });
    const usOperator = await prod.tokens.mint({ tenant: 'acme', roles: ['operator'], subject: 'ulf', env: 'prod', region: 'us-east-1' });
    expect((await call(usWriter, 'POST', '/v1/edges', { type: 'OWNS', from: hub.id, to: asset.id }, {}, prod)).statusCode).toBe(201);
    for (const [what, who, url, body] of [
      ['edge', usWriter, '/v1/edges', { type: 'GOVERNS', from: hub.id, to: secret.id }],
      ['batch edge', usWriter, '/v1/entities:batch', { entities: [{ id: 'new-node', type: 'Asset', name: 'n' }], edges: [{ type: 'OWNS', from: 'new-node', to: secret.id }] }],
      ['entitlement', usOperator, `/v1/entities/${hub.id}/entitlements`, { subject_id: secret.id, entitlement: 'run' }],
    ] as const) {
      const linked = await call(who, 'POST', url, body, {}, prod);
      expect([linked.statusCode, linked.json().code], what).toEqual([403, 'POLICY_DENIED']);
      expect(linked.json().reasons, what).toContain('restricted-data-residency');
    }
    expect((await call(euAdmin, 'GET', `/v1/entities/${secret.id}/lineage`, undefined, {}, prod)).json().edges).toEqual([]);
    expect((await call(euAdmin, 'GET', `/v1/entities/${secret.id}`, undefined, {}, prod)).json()).toMatchObject({ region: 'eu-west-1', version: 1 });
    expect((await call(euAdmin, 'GET', '/v1/entities', undefined, {}, prod)).json().entities.map((e: { name: string }) => e.name).sort()).toEqual(['db-1b', 'hub', 'keys']);
  });

  it('item 7: PATCH and DELETE take the version they saw (If-Match or body.version); a stale one answers 409 with the current version', async () => {
    const asset = await create({ type: 'Asset', name: 'v1' });
    const read = await call(alice, 'GET', `/v1/entities/${asset.id}`);
    expect(read.headers.etag).toBe('"1"');
    const v2 = await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { name: 'v2' }, { 'if-match': read.headers.etag as string });
    expect([v2.statusCode, v2.json().version, v2.headers.etag]).toEqual([200, 2, '"2"']);
    const stale = await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { name: 'lost' }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'ENTITY_VERSION_CONFLICT', current_version: 2 });
    expect((await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { name: 'lost', version: 1 })).json()).toMatchObject({ code: 'ENTITY_VERSION_CONFLICT', current_version: 2 });
    expect((await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { name: 'v3', version: 2 })).json()).toMatchObject({ name: 'v3', version: 3 });
    expect((await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { name: 'x' }, { 'if-match': 'yesterday' })).json().code).toBe('ENTITY_INVALID');
    expect((await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { name: 'x', version: 2 }, { 'if-match': '"3"' })).json().code).toBe('ENTITY_INVALID');
    // Without a version the write applies to the current one.
    expect((await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { name: 'v4' }, { 'if-match': '*' })).json()).toMatchObject({ version: 4 });
    expect((await call(alice, 'PATCH', `/v1/entities/${asset.id}`, { name: 'v5' })).json()).toMatchObject({ version: 5 });

    expect((await call(alice, 'DELETE', `/v1/entities/${asset.id}`)).statusCode).toBe(202);
    expect((await call(bob, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: 'decommission: retired' })).statusCode).toBe(201);
    const staleDelete = await call(alice, 'DELETE', `/v1/entities/${asset.id}`, undefined, { 'if-match': '"4"' });
    expect(staleDelete.json()).toMatchObject({ code: 'ENTITY_VERSION_CONFLICT', current_version: 5 });
    const deleted = await call(alice, 'DELETE', `/v1/entities/${asset.id}`, undefined, { 'if-match': '"5"' });
    expect(deleted.json()).toMatchObject({ deleted: true, version: 6 });
    expect((await call(alice, 'GET', `/v1/entities/${asset.id}`)).statusCode).toBe(404);
  });

  it('item 8: a satisfied request takes no second approval (409); the delete it allows runs once, with one receipt, and consumes it', async () => {
    const asset = await create({ type: 'Asset', name: 'once' });
    expect((await call(alice, 'DELETE', `/v1/entities/${asset.id}`)).statusCode).toBe(202);
    const first = await call(bob, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: 'decommission: retired' });
    expect(first.statusCode, first.body).toBe(201);
    const second = await call(carol, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: 'decommission: retired too' });
    expect([second.statusCode, second.json().code]).toEqual([409, 'APPROVAL_ALREADY_SATISFIED']);
    const byId = await call(carol, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: 'decommission: retired', request_id: first.json().request_id });
    expect([byId.statusCode, byId.json().code]).toEqual([409, 'APPROVAL_ALREADY_SATISFIED']);
    const never = await call(carol, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: 'decommission: retired', request_id: 'no-such-request' });
    expect([never.statusCode, never.json().code]).toEqual([409, 'APPROVAL_NOT_REQUESTED']);

    const deleted = await call(alice, 'DELETE', `/v1/entities/${asset.id}`);
    expect(deleted.statusCode, deleted.body).toBe(200);
    const again = await call(alice, 'DELETE', `/v1/entities/${asset.id}`);
    expect([again.statusCode, again.json().code]).toEqual([404, 'ENTITY_NOT_FOUND']);
    const statuses = await api.app.platform.state.query<{ status: string }>('SELECT status FROM approvals WHERE entity_id = ? ORDER BY status', [asset.id]);
    expect(statuses.map((r) => r.status)).toEqual(['approved', 'consumed']);
    const receipts = await api.app.platform.state.query<{ entry: string }>('SELECT entry FROM ledger_entries');
    const actions = receipts.map((r) => JSON.parse(Buffer.from(JSON.parse(r.entry).payload, 'base64').toString('utf8')).predicate.action as string);
    expect(actions.filter((a) => a === 'delete')).toHaveLength(1);
    expect(actions.filter((a) => a === 'approve')).toHaveLength(1);
  });

  it('item 9: a refused call or one that changes nothing leaves no receipt', async () => {
    const asset = await create({ id: 'kept', type: 'Asset', name: 'kept' });
    const other = await create({ type: 'Person', name: 'pat' });
    expect((await call(alice, 'DELETE', `/v1/entities/${other.id}`)).statusCode).toBe(202);
    expect((await call(bob, 'POST', '/v1/approvals', { entity_id: other.id, action: 'delete', rationale: 'incident: INC-9' })).statusCode).toBe(201);
    const reader = await token('rita', ['reader']);
    const before = await ledgerSize();
    const refused: [string, Awaited<ReturnType<typeof call>>][] = [
      ['empty batch', await call(alice, 'POST', '/v1/entities:batch', { entities: [], edges: [] })],
      ['batch without lists', await call(alice, 'POST', '/v1/entities:batch', {})],
      ['stale patch', await call(alice, 'PATCH', '/v1/entities/kept', { name: 'x' }, { 'if-match': '"7"' })],
      ['denied patch', await call(reader, 'PATCH', '/v1/entities/kept', { name: 'x' })],
      ['invalid patch', await call(alice, 'PATCH', '/v1/entities/kept', { data_class: 'secret' })],
      ['immutable patch', await call(alice, 'PATCH', '/v1/entities/kept', { tenant: 'globex' })],
      ['restricted patch', await call(wanda, 'PATCH', '/v1/entities/kept', { data_class: 'restricted' })],
      ['taken id', await call(alice, 'POST', '/v1/entities', { id: 'kept', type: 'Asset', name: 'again' })],
      ['edge to nothing', await call(alice, 'POST', '/v1/entities:batch', { entities: [{ type: 'Asset', name: 'a' }], edges: [{ type: 'OWNS', from: 'kept', to: 'nowhere' }] })],
      ['second approval', await call(carol, 'POST', '/v1/approvals', { entity_id: other.id, action: 'delete', rationale: 'incident: INC-9' })],
      ['stale delete', await call(alice, 'DELETE', `/v1/entities/${other.id}`, undefined, { 'if-match': '"9"' })],
      ['missing entity', await call(alice, 'DELETE', '/v1/entities/nowhere')],
      ['evidence for nothing', await call(alice, 'POST', '/v1/provenance/evidence', { receipt_id: 'rcpt-none', items: [{ kind: 'file', name: 'f', sha256: 'a'.repeat(64) }] })],
    ];
    for (const [what, response] of refused) {
      expect(response.statusCode, `${what}: ${response.body}`).toBeGreaterThanOrEqual(400);
      expect(response.headers['x-companyos-receipt'], what).toBeUndefined();
    }
    // A PATCH to the values the entity already has answers it as it is: no new version, no receipt.
    const same = await call(alice, 'PATCH', '/v1/entities/kept', { name: 'kept', data_class: 'internal' });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json()).toMatchObject({ name: 'kept', version: asset.version, receipt_id: null });
    expect(same.headers['x-companyos-receipt']).toBeUndefined();
    expect(await ledgerSize()).toBe(before);
    expect((await call(alice, 'GET', '/v1/entities')).json().entities.map((e: { name: string }) => e.name).sort()).toEqual(['kept', 'pat']);

    // And each effect has exactly one.
    expect((await call(alice, 'PATCH', '/v1/entities/kept', { name: 'renamed' })).headers['x-companyos-receipt']).toMatch(/^rcpt-/);
    expect((await call(alice, 'DELETE', `/v1/entities/${other.id}`)).statusCode).toBe(200);
    expect(await ledgerSize()).toBe(before + 2);
  });
});
