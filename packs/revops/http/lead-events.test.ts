import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { useApi } from '../../../test/support/api.ts';
import { LEAD_EVENT_TYPE, LeadIntake, LeadRouter, takeSubmittedLeads } from '../index.ts';

const BATCH = 'application/cloudevents-batch+json';
const leadEvent = (id: string, tenant: string, data: unknown) => ({ specversion: '1.0', id, source: 'urn:crm:webhook', type: LEAD_EVENT_TYPE, tenantid: tenant, policyversion: 'v1', data });

describe.each(TEST_ENGINES)('RevOps leads sent as CloudEvents on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);
  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: unknown, contentType?: string) =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) }, ...(payload ? { payload: payload as object } : {}) });

  it('takes each tenant\'s lead events into its own intake once, and answers one that is no lead with a disposition', async () => {
    const platform = server.api.app.platform;
    const intake = new LeadIntake({ ...platform, router: new LeadRouter(platform), now: () => new Date() });
    const sweep = () => takeSubmittedLeads({ ...platform, leads: intake, now: () => new Date() });
    const [acme, globex, reader] = await Promise.all([
      server.api.principal('crm', 'acme', 'connector'), server.api.principal('crm', 'globex', 'connector'), server.api.principal('ana', 'acme', 'reader'),
    ]);
    const sent = await call(acme, 'POST', '/v1/events', [
      leadEvent('ev-1', 'acme', { source: 'email', email: 'Jane.Doe@initech.io', first_name: 'Jane', last_name: 'Doe', company: 'Initech' }),
      leadEvent('ev-2', 'acme', { id: 'crm-77', source: 'web_form', phone: '(415) 555-0177' }),
      leadEvent('ev-bad', 'acme', { source: 'carrier-pigeon', email: 'coo@roof.io' }),
      leadEvent('ev-3', 'acme', { source: 'email', email: 'jane.doe+q4@initech.io' }),
    ], BATCH);
    expect(sent.json(), sent.body).toMatchObject({ accepted: 4 });
    expect((await call(globex, 'POST', '/v1/events', [leadEvent('ev-1', 'globex', { source: 'email', email: 'ops@globex.io' })], BATCH)).json()).toMatchObject({ accepted: 1 });

    expect(await sweep()).toBe(5);
    const leads = (await call(reader, 'GET', '/v1/revops/leads')).json().leads;
    expect(leads.map((l: { id: string; status: string; duplicate_of: string | null }) => [l.id, l.status, l.duplicate_of]).sort()).toEqual([
      ['crm-77', 'new', null], ['ev-1', 'new', null], ['ev-3', 'duplicate', 'ev-1'],
    ]);
    expect((await call(await server.api.principal('ana', 'globex', 'reader'), 'GET', '/v1/revops/leads/ev-1')).json()).toMatchObject({ tenant: 'globex', email: 'ops@globex.io' });
    const [invalid] = await db.warehouse.query<{ data: string }>("SELECT data FROM events WHERE tenant_id = 'acme' AND type = 'revops.lead.disposition' AND subject = 'ev-bad'");
    expect(JSON.parse(invalid!.data)).toMatchObject({ disposition: 'invalid', reason: expect.stringContaining('/source') });

    // Taken once: a second pass, and a redelivered event, add nothing.
    expect(await sweep()).toBe(0);
    await call(acme, 'POST', '/v1/events', [leadEvent('ev-1', 'acme', { source: 'email', email: 'Jane.Doe@initech.io' }), leadEvent('ev-4', 'acme', { source: 'email', email: 'new@hooli.io' })], BATCH);
    expect(await sweep()).toBe(1);
    expect((await call(reader, 'GET', '/v1/revops/leads')).json().leads).toHaveLength(4);

    // Stamped before the furthest event read but committed after it (a slow ingest): still taken.
    await platform.pipeline.ingest([leadEvent('ev-slow', 'acme', { source: 'email', email: 'late@umbrella.io' })], { channel: 'http', submitter: 'acme', receivedAt: new Date(Date.now() - 60_000) });
    expect(await sweep()).toBe(1);
    expect((await call(reader, 'GET', '/v1/revops/leads/ev-slow')).json()).toMatchObject({ status: 'new', email: 'late@umbrella.io' });
  });
});
