import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';

/** Issue 15, item 1: an entity is (tenant, id); another tenant's id answers exactly as an id that exists nowhere. */
describe.each(TEST_ENGINES)('Ids scoped by tenant on %s', (engine) => {
  const db = useWarehouse(engine);
  let api: ApiHarness;
  const tokens: Record<string, string> = {};

  beforeEach(async () => {
    api = await apiHarness(db.warehouse);
    tokens.acme = await api.principal('alice', 'acme', 'operator');
    tokens.acmeApprover = await api.principal('bob', 'acme', 'approver');
    tokens.globex = await api.principal('gus', 'globex', 'operator', 'admin');
    tokens.globexApprover = await api.principal('gia', 'globex', 'approver');
  });
  afterEach(() => api.app.close());

  const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    api.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  /** Status and body, with the id asked for blanked out of the message: what tells ids apart. */
  const answer = async (response: Promise<{ statusCode: number; json(): Record<string, unknown> }>, ...ids: string[]) => {
    const { statusCode, json } = await response;
    const body = json();
    return { statusCode, body: { ...body, message: ids.reduce((m, id) => m.replaceAll(id, 'ID'), String(body.message)) } };
  };

  async function restart(): Promise<void> {
    await api.app.close();
    await db.reopen();
    api = await apiHarness(db.warehouse);
  }

  it('two tenants creating the same ids at the same moment each get their own records, before and after a restart', async () => {
    const ids = ['shared-1', 'shared-2', 'shared-3', 'shared-4'];
    const created = await Promise.all(
      ids.flatMap((id) => [
        call('acme', 'POST', '/v1/entities', { id, type: 'Asset', name: `acme ${id}`, data_class: 'internal' }),
        call('globex', 'POST', '/v1/entities', { id, type: 'Company', name: `globex ${id}`, data_class: 'confidential' }),
      ]),
    );
    expect(created.map((r) => r.statusCode)).toEqual(created.map(() => 201));
    await call('acme', 'POST', '/v1/edges', { type: 'OWNS', from: 'shared-1', to: 'shared-2' });

    let versionOf3 = 1;
    const check = async () => {
      for (const id of ids) {
        expect((await call('acme', 'GET', `/v1/entities/${id}`)).json()).toMatchObject({ id, tenant: 'acme', type: 'Asset', name: `acme ${id}`, version: 1 });
        expect((await call('globex', 'GET', `/v1/entities/${id}`)).json()).toMatchObject({ id, tenant: 'globex', type: 'Company', name: `globex ${id}`, version: id === 'shared-3' ? versionOf3 : 1 });
      }
      expect((await call('acme', 'GET', '/v1/entities')).json().entities.map((e: { name: string }) => e.name)).toEqual(ids.map((id) => `acme ${id}`));
      expect((await call('globex', 'GET', '/v1/entities')).json().entities.map((e: { name: string }) => e.name)).toEqual(ids.map((id) => `globex ${id}`));
      // Acme's edge is acme's: globex's entities of the same ids have none.
      expect((await call('acme', 'GET', '/v1/entities/shared-1/lineage')).json().edges).toHaveLength(1);
      expect((await call('globex', 'GET', '/v1/entities/shared-1/lineage')).json()).toMatchObject({ nodes: [{ id: 'shared-1', tenant: 'globex' }], edges: [] });
    };
    await check();
    // A tenant's update or delete touches its own record only.
    expect((await call('globex', 'PATCH', '/v1/entities/shared-3', { name: 'globex renamed' })).statusCode).toBe(200);
    await restart();
    expect((await call('acme', 'GET', '/v1/entities/shared-3')).json()).toMatchObject({ name: 'acme shared-3', version: 1 });
    expect((await call('globex', 'GET', '/v1/entities/shared-3')).json()).toMatchObject({ name: 'globex renamed', version: 2 });
    await call('globex', 'PATCH', '/v1/entities/shared-3', { name: 'globex shared-3' });
    versionOf3 = 3;
    await check();
    // Taken means taken in the tenant only, and not revealed across tenants.
    expect((await call('acme', 'POST', '/v1/entities', { id: 'shared-1', type: 'Asset', name: 'again' })).json().code).toBe('ENTITY_EXISTS');
    expect((await call('acme', 'POST', '/v1/entities', { id: 'globex-only', type: 'Asset', name: 'x' })).statusCode).toBe(201);
  });

  it("another tenant's entity, approval, receipt, evidence and bundle answer exactly as ids that exist nowhere, and Cedar is never asked about them", async () => {
    const asset = (await call('acme', 'POST', '/v1/entities', { id: 'acme-asset', type: 'Asset', name: 'rack' })).json();
    const other = (await call('acme', 'POST', '/v1/entities', { id: 'acme-other', type: 'Person', name: 'ann' })).json();
    expect((await call('acme', 'DELETE', '/v1/entities/acme-asset')).statusCode).toBe(202);
    const evidence = (await call('acme', 'POST', '/v1/provenance/evidence', { receipt_id: asset.receipt_id, items: [{ kind: 'transcript', name: 'cab.txt', content: 'aGVsbG8=' }] })).json();
    await call('globex', 'POST', '/v1/entities', { id: 'globex-own', type: 'Person', name: 'gus' });
    const decisionsBefore = await api.app.decisionLog.query('globex', { limit: 1000 });
    const before = await api.app.platform.state.query<{ n: number }>("SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = 'globex'");

    const same = async (theirs: string, nowhere: string, send: (id: string) => ReturnType<typeof call>) => {
      const [a, b] = [await answer(send(theirs), theirs), await answer(send(nowhere), nowhere)];
      expect(a, `${theirs} vs ${nowhere}`).toEqual(b);
      expect(a.statusCode).toBeGreaterThanOrEqual(400);
      return a;
    };
    expect((await same('acme-asset', 'nowhere', (id) => call('globex', 'GET', `/v1/entities/${id}`))).statusCode).toBe(404);
    await same('acme-asset', 'nowhere', (id) => call('globex', 'PATCH', `/v1/entities/${id}`, { name: 'stolen', data_class: 'public' }));
    await same('acme-asset', 'nowhere', (id) => call('globex', 'DELETE', `/v1/entities/${id}`));
    await same('acme-asset', 'nowhere', (id) => call('globex', 'GET', `/v1/entities/${id}/lineage`));
    await same('acme-asset', 'nowhere', (id) => call('globex', 'POST', `/v1/entities/${id}/entitlements`, { subject_id: 'globex-own', entitlement: 'read' }));
    await same('acme-other', 'nowhere', (id) => call('globex', 'POST', '/v1/edges', { type: 'OWNS', from: id, to: 'globex-own' }));
    await same('acme-other', 'nowhere', (id) => call('globex', 'POST', '/v1/edges', { type: 'OWNS', from: 'globex-own', to: id }));
    await same('acme-asset', 'nowhere', (id) => call('globexApprover', 'POST', '/v1/approvals', { entity_id: id, action: 'delete', rationale: 'incident: takeover' }));
    await same(asset.receipt_id, 'rcpt-nowhere', (id) => call('globex', 'GET', `/v1/provenance/receipts/${id}`));
    await same(asset.receipt_id, 'rcpt-nowhere', (id) => call('globex', 'GET', `/v1/provenance/receipts/${id}/disclose?fields=rationale`));
    await same(asset.receipt_id, 'rcpt-nowhere', (id) => call('globex', 'GET', `/v1/provenance/bundles/${id}`));
    await same(evidence.bundle_id, 'bundle-nowhere', (id) => call('globex', 'GET', `/v1/provenance/bundles/${id}`));
    await same(evidence.items[0].id, 'evidence-nowhere', (id) => call('globex', 'GET', `/v1/provenance/bundles/${id}`));
    await same(asset.receipt_id, 'rcpt-nowhere', (id) => call('globex', 'POST', '/v1/provenance/evidence', { receipt_id: id, items: [{ kind: 'file', name: 'x', sha256: 'a'.repeat(64) }] }));
    expect((await call('globex', 'DELETE', '/v1/entities/globex-own')).statusCode).toBe(202);
    await same(evidence.items[0].id, 'evidence-nowhere', (id) =>
      call('globexApprover', 'POST', '/v1/approvals', { entity_id: 'globex-own', action: 'delete', rationale: 'incident: x', evidence: [id] }));

    // Nothing of acme's was decided on for globex, nor receipted, nor changed.
    const decided = (await api.app.decisionLog.query('globex', { limit: 1000 })).filter((d) => !decisionsBefore.some((b) => b.decision_id === d.decision_id));
    expect(decided.map((d) => d.input.resource)).not.toContainEqual(expect.stringMatching(/acme-/));
    expect(decided.filter((d) => d.tenant === 'globex' && d.resource_tenant !== 'globex')).toEqual([]);
    expect(await api.app.platform.state.query<{ n: number }>("SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = 'globex'")).toEqual(before);
    expect((await call('acme', 'GET', '/v1/entities/acme-asset')).json()).toMatchObject({ name: 'rack', version: 1 });
    expect((await call('acme', 'GET', '/v1/entities/acme-other')).json()).toMatchObject({ version: other.version });
    expect((await call('acme', 'GET', '/v1/entities/acme-asset/lineage')).json().edges).toEqual([]);
  });
});
