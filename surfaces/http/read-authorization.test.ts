import { beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../platform/identity/auth.ts';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';

const OPERATOR = 'summit-internal';

/** Issue 15, item 2: every read is decided by the policy engine, lists and walks per item. */
describe.each(TEST_ENGINES)('Reads decided by the policy engine on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db, { transforms: { modelsDir: 'models', targetDir: `/tmp/companyos-read-authz-${engine}`, operatorTenant: OPERATOR } });
  let admin: string;
  let partner: string;

  beforeEach(async () => {
    admin = await server.api.principal('ada', 'acme', 'admin');
    partner = await server.api.principal('pat', 'acme', 'partner');
  });

  const call = (token: string, url: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  const ids = (response: { json(): { entities: { id: string }[] } }) => response.json().entities.map((e) => e.id);

  async function graph() {
    // public hub → confidential secret → public leaf; public hub → public open.
    const created = await server.api.app.inject({
      method: 'POST',
      url: '/v1/entities:batch',
      headers: { authorization: `Bearer ${admin}` },
      payload: {
        entities: [
          { id: 'e1-hub', type: 'Company', name: 'Hub', data_class: 'public' },
          { id: 'e2-secret', type: 'Workflow', name: 'Secret', data_class: 'confidential' },
          { id: 'e3-leaf', type: 'Runbook', name: 'Leaf', data_class: 'public' },
          { id: 'e4-open', type: 'Asset', name: 'Open', data_class: 'public' },
          { id: 'e5-internal', type: 'Asset', name: 'Internal' },
        ],
        edges: [
          { type: 'OWNS', from: 'e1-hub', to: 'e2-secret' },
          { type: 'TRIGGERS', from: 'e2-secret', to: 'e3-leaf' },
          { type: 'OWNS', from: 'e1-hub', to: 'e4-open' },
        ],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
  }

  it('lists only what a read by id allows, and pages past hidden entities without naming them', async () => {
    await graph();
    expect((await call(partner, '/v1/entities/e2-secret')).statusCode).toBe(403);
    expect((await call(partner, '/v1/entities/e3-leaf')).statusCode).toBe(200);
    expect(ids(await call(admin, '/v1/entities'))).toEqual(['e1-hub', 'e2-secret', 'e3-leaf', 'e4-open', 'e5-internal']);
    expect(ids(await call(partner, '/v1/entities'))).toEqual(['e1-hub', 'e3-leaf', 'e4-open']);

    const seen: string[] = [];
    const cursors: (string | null)[] = [];
    let after: string | null = null;
    do {
      const page = await call(partner, `/v1/entities?limit=1${after ? `&after=${after}` : ''}`);
      seen.push(...ids(page));
      after = page.json().next_after;
      cursors.push(after);
    } while (after);
    expect(seen).toEqual(['e1-hub', 'e3-leaf', 'e4-open']);
    expect(cursors.filter((c) => c !== null).every((c) => seen.includes(c!))).toBe(true);
  });

  it('walks lineage only through entities the caller may read', async () => {
    await graph();
    const full = (await call(admin, '/v1/entities/e1-hub/lineage?depth=2&direction=out')).json();
    expect(full.nodes.map((n: { id: string; distance: number }) => [n.id, n.distance])).toEqual([['e1-hub', 0], ['e2-secret', 1], ['e4-open', 1], ['e3-leaf', 2]]);
    const seen = (await call(partner, '/v1/entities/e1-hub/lineage?depth=2&direction=out')).json();
    expect(seen.nodes.map((n: { id: string; distance: number }) => [n.id, n.distance])).toEqual([['e1-hub', 0], ['e4-open', 1]]);
    expect(seen.edges.map((e: { from: string; to: string }) => `${e.from}>${e.to}`)).toEqual(['e1-hub>e4-open']);
    expect(JSON.stringify(seen)).not.toContain('e2-secret');
    // The hidden entity's neighbour, walked from: only what the partner may read of its surroundings.
    const leaf = (await call(partner, '/v1/entities/e3-leaf/lineage?depth=3')).json();
    expect(leaf.nodes.map((n: { id: string }) => n.id)).toEqual(['e3-leaf']);
    expect(leaf.edges).toEqual([]);
  });

  const FINOPS_READS: [string, 'GET' | 'POST', object?][] = [
    ['/v1/finops/summary', 'GET'],
    ['/v1/finops/reconciliation?period=2026-10', 'GET'],
    ['/v1/finops/attribution?period=2026-10', 'GET'],
    ['/v1/tenants/acme/cost', 'GET'],
    ['/v1/finops/cogs?period=2026-10', 'GET'],
    ['/v1/finops/margins?period=2026-10', 'GET'],
    ['/v1/finops/pricing:simulate', 'POST', { period: '2026-10' }],
    ['/v1/finops/invoices', 'GET'],
    ['/v1/finops/invoices/INV-202610-acme@summit-internal', 'GET'],
    ['/v1/finops/invoices/INV-202610-acme@summit-internal/deliveries', 'GET'],
  ];

  it('decides every FinOps read by the role table (read_costs, read_invoices), with a logged decision', async () => {
    const allowed: Role[] = ['admin', 'operator', 'auditor', 'reader'];
    const refused: Role[] = ['writer', 'connector', 'approver', 'partner'];
    for (const [url, method, body] of FINOPS_READS) {
      for (const role of refused) {
        const answer = await call(await server.api.principal(role, 'acme', role), url, method, body);
        expect([answer.statusCode, answer.json().code], `${role} ${method} ${url}: ${answer.body}`).toEqual([403, 'POLICY_DENIED']);
        expect(answer.json().decision_id).toMatch(/^[0-9a-f-]{36}$/);
      }
      for (const role of allowed) {
        const answer = await call(await server.api.principal(role, 'acme', role), url, method, body);
        expect(answer.statusCode, `${role} ${method} ${url}: ${answer.body}`).not.toBe(403);
      }
    }
  });

  it("serves another tenant's cost to the platform operator only", async () => {
    const acmeReader = await server.api.principal('rita', 'acme', 'reader');
    const refused = await call(acmeReader, '/v1/tenants/globex/cost');
    expect(refused.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: ['other-tenants-cost-platform-only'] });
    const acmeAdmin = await call(admin, '/v1/tenants/globex/cost');
    expect(acmeAdmin.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: ['other-tenants-cost-platform-only'] });
    // The platform operator's cost readers pass the gate (nothing is built yet: 409); its writers do not.
    const platformReader = await call(await server.api.principal('olga', OPERATOR, 'reader'), '/v1/tenants/globex/cost');
    expect([platformReader.statusCode, platformReader.json().code]).toEqual([409, 'FINOPS_NOT_BUILT']);
    const platformWriter = await call(await server.api.principal('walt', OPERATOR, 'writer'), '/v1/tenants/globex/cost');
    expect(platformWriter.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: [] });
  });

  it("decides reads of the tenant's events and builds: a partner sees none of them", async () => {
    for (const url of ['/v1/events', '/v1/events/stats', '/v1/transforms/runs']) {
      const refused = await call(partner, url);
      expect([refused.statusCode, refused.json().reasons], url).toEqual([403, ['partner-public-data-only']]);
      expect((await call(await server.api.principal('rita', 'acme', 'reader'), url)).statusCode, url).toBe(200);
    }
  });

  it('decides usage reads and builds by policy, not by hand-written role checks', async () => {
    const usage = await call(await server.api.principal('gus', 'globex', 'admin'), '/v1/tenants/acme/usage?meter=policy.decisions_total');
    expect(usage.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: ['tenant-isolation'] });
    const build = await call(await server.api.principal('gus', 'globex', 'admin'), '/v1/transforms/build', 'POST', { mode: 'seed' });
    expect(build.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: ['tenant-isolation'] });
    const reader = await call(await server.api.principal('rita', OPERATOR, 'reader'), '/v1/transforms/build', 'POST', { mode: 'seed' });
    expect(reader.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: [] });
  });
});
