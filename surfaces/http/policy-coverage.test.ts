import { describe, expect, it } from 'vitest';
import type { Role } from '../../platform/identity/auth.ts';
import type { RouteEntry } from './kit/gate.ts';
import { readReceipt } from '../../kernel/ledger/index.ts';
import { useApi } from '../../test/support/api.ts';
import { takeLedgerOffline } from '../../test/support/faults.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { buildSimulatedFinops } from '../../test/support/finops.ts';

const OPERATOR = 'summit-internal';

/**
 * One valid call per privileged route. A privileged route without an example
 * fails the test: adding a route means showing here that it is gated and receipted.
 */
const EXAMPLES: Record<string, { url: string; body?: unknown; contentType?: string; tenant?: string; byApprover?: boolean; finopsBuilt?: boolean }> = {
  'POST /v1/entities': { url: '/v1/entities', body: { type: 'Asset', name: 'coverage' } },
  'POST /v1/entities::batch': { url: '/v1/entities:batch', body: { entities: [{ type: 'Person', name: 'coverage' }] } },
  'PATCH /v1/entities/:id': { url: '/v1/entities/ENTITY', body: { name: 'renamed' } },
  'DELETE /v1/entities/:id': { url: '/v1/entities/ENTITY' },
  'POST /v1/entities/:id/entitlements': { url: '/v1/entities/ENTITY/entitlements', body: { subject_id: 'SUBJECT', entitlement: 'read' } },
  'POST /v1/edges': { url: '/v1/edges', body: { type: 'OWNS', from: 'SUBJECT', to: 'ENTITY' } },
  'POST /v1/approvals': { url: '/v1/approvals', body: { entity_id: 'PENDING', action: 'delete', rationale: 'incident: coverage test' }, byApprover: true },
  'POST /v1/provenance/evidence': { url: '/v1/provenance/evidence', body: { items: [{ kind: 'transcript', name: 'call.txt', content: Buffer.from('hello').toString('base64') }] } },
  'POST /v1/transforms/build': { url: '/v1/transforms/build', body: { mode: 'seed' }, tenant: OPERATOR },
  'POST /v1/finops/bills': { url: '/v1/finops/bills?file_name=empty.csv', body: 'BilledCost\n', contentType: 'text/csv' },
  'POST /v1/finops/simulations/true-costs': { url: '/v1/finops/simulations/true-costs', body: { simulation_id: 'cov', rows: [{ tenant: 'acme', period: '2026-10', currency: 'USD', cost: '1.00' }] } },
  'POST /v1/revops/leads': { url: '/v1/revops/leads', body: { source: 'web_form', email: 'coverage@acme.io' } },
  'POST /v1/revops/leads::batch': { url: '/v1/revops/leads:batch', body: { leads: [{ source: 'email', email: 'coverage@globex.io' }] } },
  'POST /v1/revops/leads/:id/merge': { url: '/v1/revops/leads/LEAD/merge', body: { into: 'INTO' } },
  'POST /v1/revops/leads/:id/touch': { url: '/v1/revops/leads/LEAD/touch', body: { channel: 'call' } },
  'POST /v1/revops/quotes': { url: '/v1/revops/quotes', body: { account: 'Coverage Co', currency: 'USD', list_price: '100.00', final_price: '95.00', terms: { term_months: 12, billing: 'annual' } } },
  'POST /v1/revops/quotes/:id/revisions': { url: '/v1/revops/quotes/QUOTE/revisions', body: { account: 'Coverage Co', currency: 'USD', list_price: '100.00', final_price: '92.00', terms: { term_months: 12, billing: 'annual' } } },
  'POST /v1/revops/quotes/:id/outcome': { url: '/v1/revops/quotes/QUOTE/outcome', body: { outcome: 'won', activation: { tenant: 'coverage-co', plan: 'pro', packs: ['revops'] } } },
  'POST /scim/v2/Users': { url: '/scim/v2/Users', body: { userName: 'USER@coverage.example' }, contentType: 'application/scim+json' },
  'PUT /scim/v2/Users/:id': { url: '/scim/v2/Users/USER', body: { userName: 'USER@coverage.example', active: true }, contentType: 'application/scim+json' },
  'PATCH /scim/v2/Users/:id': { url: '/scim/v2/Users/USER', body: { Operations: [{ op: 'replace', path: 'displayName', value: 'Coverage' }] }, contentType: 'application/scim+json' },
  'DELETE /scim/v2/Users/:id': { url: '/scim/v2/Users/USER' },
  'POST /scim/v2/Groups': { url: '/scim/v2/Groups', body: { displayName: 'coverage', members: [{ value: 'USER' }] }, contentType: 'application/scim+json' },
  'PUT /scim/v2/Groups/:id': { url: '/scim/v2/Groups/GROUP', body: { displayName: 'coverage-2' }, contentType: 'application/scim+json' },
  'PATCH /scim/v2/Groups/:id': { url: '/scim/v2/Groups/GROUP', body: { Operations: [{ op: 'add', path: 'members', value: [{ value: 'USER' }] }] }, contentType: 'application/scim+json' },
  'DELETE /scim/v2/Groups/:id': { url: '/scim/v2/Groups/GROUP' },
  'POST /v1/api-keys': { url: '/v1/api-keys', body: { name: 'coverage', scopes: ['read'] } },
  'POST /v1/api-keys/:key_id/rotate': { url: '/v1/api-keys/APIKEY/rotate', body: { overlap_minutes: 5 } },
  'POST /v1/api-keys/:key_id/revoke': { url: '/v1/api-keys/APIKEY/revoke' },
  // A month with charges: a run with nothing to invoice is refused before any receipt.
  'POST /v1/finops/invoices::generate': { url: '/v1/finops/invoices:generate?period=2026-10', tenant: OPERATOR, finopsBuilt: true },
};

describe('every privileged route is gated and receipted', () => {
  const db = useWarehouse('duckdb');
  const server = useApi(db, { transforms: { modelsDir: 'models', targetDir: '/tmp/companyos-coverage-target', operatorTenant: OPERATOR } });

  const send = async (route: RouteEntry, token: string, ids: Record<string, string>) => {
    const example = EXAMPLES[`${route.method} ${route.url}`]!;
    const fill = (text: string) => Object.entries(ids).reduce((t, [k, v]) => t.replaceAll(k, v), text);
    const body = example.body === undefined ? undefined : typeof example.body === 'string' ? example.body : fill(JSON.stringify(example.body));
    return server.api.app.inject({
      method: route.method as 'POST',
      url: fill(example.url),
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': example.contentType ?? 'application/json' } : {}) },
      ...(body !== undefined ? { payload: body } : {}),
    });
  };

  async function fixtures(tenant: string, admin: string, approver: string) {
    const make = async (name: string) =>
      (await server.api.app.inject({ method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${admin}` }, payload: { type: 'Asset', name } })).json().id as string;
    const [entity, subject, pending] = [await make('entity'), await make('subject'), await make('pending')];
    // An open delete request for the approval example; an approved one for the delete example.
    for (const id of [pending, entity]) {
      await server.api.app.inject({ method: 'DELETE', url: `/v1/entities/${id}`, headers: { authorization: `Bearer ${admin}` } });
    }
    const approval = await server.api.app.inject({
      method: 'POST', url: '/v1/approvals', headers: { authorization: `Bearer ${approver}` }, payload: { entity_id: entity, action: 'delete', rationale: 'decommission: coverage' },
    });
    expect(approval.statusCode, `${tenant}: ${approval.body}`).toBe(201);
    // Two leads of different people, for the merge example.
    const leads = await server.api.app.inject({
      method: 'POST', url: '/v1/revops/leads:batch', headers: { authorization: `Bearer ${admin}` },
      payload: { leads: [{ id: `lead-${entity}`, source: 'email', email: `a-${entity}@a.io` }, { id: `into-${entity}`, source: 'email', email: `b-${entity}@b.io` }] },
    });
    expect(leads.statusCode, leads.body).toBe(201);
    // An approved quote (within the automatic band), for the requote and outcome examples.
    const quote = await server.api.app.inject({
      method: 'POST', url: '/v1/revops/quotes', headers: { authorization: `Bearer ${admin}` },
      payload: { id: `quote-${entity}`, account: 'Coverage Co', currency: 'USD', list_price: '100.00', final_price: '100.00', terms: { term_months: 12, billing: 'annual' } },
    });
    expect(quote.statusCode, quote.body).toBe(201);
    // A person and a group in the tenant's SCIM directory.
    const scim = (url: string, payload: unknown) =>
      server.api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/scim+json' }, payload: JSON.stringify(payload) });
    const user = await scim('/scim/v2/Users', { userName: `person-${entity}@coverage.example` });
    expect(user.statusCode, user.body).toBe(201);
    const group = await scim('/scim/v2/Groups', { displayName: `group-${entity}` });
    expect(group.statusCode, group.body).toBe(201);
    const apiKey = await server.api.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { authorization: `Bearer ${admin}` }, payload: { name: `key-${entity}`, scopes: ['read'] } });
    expect(apiKey.statusCode, apiKey.body).toBe(201);
    return {
      ENTITY: entity, SUBJECT: subject, PENDING: pending, LEAD: `lead-${entity}`, INTO: `into-${entity}`, QUOTE: `quote-${entity}`,
      USER: user.json().id as string, GROUP: group.json().id as string, APIKEY: apiKey.json().key_id as string,
    };
  }

  it('classifies every state-changing route, and every privileged one has an example', () => {
    const routes = server.api.app.routeInventory;
    const unexplained = routes.filter((r) => r.method !== 'GET' && !r.public && !r.action && !r.ungated);
    expect(unexplained).toEqual([]);
    const privileged = routes.filter((r) => r.privileged).map((r) => `${r.method} ${r.url}`);
    expect(privileged.sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it('denies each privileged route to a principal without the right (403 with a decision id) and receipts each success', async () => {
    const privileged = server.api.app.routeInventory.filter((r) => r.privileged);
    const tokenFor = (subject: string, tenant: string, ...roles: Role[]) => server.api.principal(subject, tenant, ...roles);
    const keys = server.api.app.ledgerStore.keyring.all();
    for (const route of privileged) {
      const tenant = EXAMPLES[`${route.method} ${route.url}`]!.tenant ?? 'acme';
      const admin = await tokenFor('ada', tenant, 'admin');
      const approver = await tokenFor('abe', tenant, 'approver');
      const ids = await fixtures(tenant, admin, approver);
      if (EXAMPLES[`${route.method} ${route.url}`]!.finopsBuilt) await buildSimulatedFinops(db.warehouse, '/tmp/companyos-coverage-target');
      const partner = await tokenFor('pat', tenant, 'partner');

      const denied = await send(route, partner, ids);
      expect(denied.statusCode, `${route.method} ${route.url} as a partner: ${denied.body}`).toBe(403);
      expect(denied.json().decision_id, `${route.method} ${route.url}`).toMatch(/^[0-9a-f-]{36}$/);
      expect(denied.headers['x-companyos-receipt']).toBeUndefined();

      const actor = EXAMPLES[`${route.method} ${route.url}`]!.byApprover ? 'abe' : 'ada';
      // With the ledger unwritable the action is rolled back (or, receipted first, never starts).
      const bringBack = await takeLedgerOffline(server.api.app.platform.state);
      const unreceipted = await send(route, actor === 'abe' ? approver : admin, ids).finally(bringBack);
      expect([unreceipted.statusCode, unreceipted.json().code], `${route.method} ${route.url}: ${unreceipted.body}`).toEqual([503, 'RECEIPT_WRITE_FAILED']);
      expect(unreceipted.json().message).toMatch(route.receipt === 'before' ? /Nothing was done\.$/ : /Nothing was changed\.$/);

      const allowed = await send(route, actor === 'abe' ? approver : admin, ids);
      const receiptId = allowed.headers['x-companyos-receipt'] as string | undefined;
      expect(String(receiptId), `${route.method} ${route.url} as an admin answered ${allowed.statusCode}: ${allowed.body}`).toMatch(/^rcpt-/);
      const receipt = await server.api.app.inject({ url: `/v1/provenance/receipts/${receiptId}`, headers: { authorization: `Bearer ${admin}` } });
      expect(receipt.statusCode, `${route.method} ${route.url}`).toBe(200);
      expect(readReceipt(receipt.json().envelope, keys).predicate).toMatchObject({ action: route.action, actor: `${tenant}/${actor}` });
    }
  });
});
