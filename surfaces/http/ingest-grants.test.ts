import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_DIR } from '../../kernel/policies/index.ts';
import { apiHarness, type ApiHarness } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';

/** Issue 15, item 4: cross-tenant ingest needs an explicit grant. */
describe.each(TEST_ENGINES)('Cross-tenant ingest on %s', (engine) => {
  const db = useWarehouse(engine);
  let policyDir: string;
  let api: ApiHarness;

  beforeAll(async () => {
    // A bundle where acme's connectors are granted acme-eu (and nothing else).
    policyDir = await mkdtemp(join(tmpdir(), 'companyos-grants-'));
    await cp(DEFAULT_POLICY_DIR, policyDir, { recursive: true });
    await writeFile(join(policyDir, 'data', 'tenants.json'), JSON.stringify({ platform: 'summit-internal', ingestGrants: { acme: ['acme-eu'] } }));
  });
  afterAll(() => rm(policyDir, { recursive: true, force: true }));
  beforeEach(async () => {
    api = await apiHarness(db.warehouse, { policy: { dir: policyDir } });
  });
  afterEach(() => api.app.close());

  const event = (id: string, tenantid: string) => ({ specversion: '1.0', id, source: '/test', type: 't', tenantid, policyversion: 'v1', data: {} });
  const post = async (token: string, events: unknown[]) =>
    api.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents-batch+json' }, payload: events });
  // What the batches stored (a refusal stores only its policy-violation event, in the caller's tenant).
  const stored = async () =>
    (await db.warehouse.query("SELECT tenant_id, id FROM events WHERE type != 'companyos.policy.violation' ORDER BY id")).map((r) => `${String(r.tenant_id)}:${String(r.id)}`);

  it("refuses a customer connector's events for a tenant it has no grant for, whole request, with a logged decision", async () => {
    const connector = await api.principal('pipe', 'acme', 'connector');
    const refused = await post(connector, [event('a1', 'acme'), event('e1', 'acme-eu'), event('g1', 'globex'), event('g2', 'globex')]);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'EVENT_TENANT_NOT_GRANTED', reasons: ['cross-tenant-ingest-needs-grant'] });
    expect(refused.json().message).toContain('Event 2 is for tenant "globex"');
    expect(await stored()).toEqual([]);
    const decisions = (await api.app.inject({ url: '/v1/policy/decisions?decision=deny', headers: { authorization: `Bearer ${await api.principal('ada', 'acme', 'admin')}` } })).json().decisions;
    expect(decisions.map((d: { decision_id: string }) => d.decision_id)).toContain(refused.json().decision_id);
  });

  it('lets the granted tenant, and the platform operator\'s connectors, write; never a granted tenant\'s writers', async () => {
    const connector = await api.principal('pipe', 'acme', 'connector');
    expect((await post(connector, [event('a1', 'acme'), event('e1', 'acme-eu')])).json()).toMatchObject({ accepted: 2 });
    const writer = await api.principal('wes', 'acme', 'writer');
    expect((await post(writer, [event('e2', 'acme-eu')])).json()).toMatchObject({ code: 'EVENT_TENANT_NOT_GRANTED' });
    const platform = await api.principal('kafka-bridge', 'summit-internal', 'connector');
    expect((await post(platform, [event('g1', 'globex'), event('e3', 'acme-eu')])).json()).toMatchObject({ accepted: 2 });
    const platformWriter = await api.principal('wes', 'summit-internal', 'writer');
    expect((await post(platformWriter, [event('g2', 'globex')])).json()).toMatchObject({ code: 'EVENT_TENANT_NOT_GRANTED' });
    expect((await stored()).sort()).toEqual(['acme-eu:e1', 'acme-eu:e3', 'acme:a1', 'globex:g1']);
  });
});
