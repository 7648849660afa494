import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { useApi } from '../../../test/support/api.ts';
import { TestClock } from '../../../test/support/test-clock.ts';
import { LeadRouter, leadsPastSla, sweepSlaBreaches } from '../index.ts';

const MINUTE = 60_000;
const POLICY = {
  pools: { na: { strategy: 'lowest-open', members: [{ id: 'eve' }, { id: 'fay' }] } },
  rules: [{ id: 'hot', when: { field: 'icp_score', gte: 80 }, pool: 'na', sla_minutes: 15 }, { id: 'default', pool: 'na' }],
};
const REASON = { category: 'new-pool', text: 'hot leads get a fifteen-minute SLA from today' };

describe.each(TEST_ENGINES)('RevOps lead SLAs on %s', (engine) => {
  const db = useWarehouse(engine);
  const clock = new TestClock(new Date('2026-11-30T10:00:00.000Z'));
  const server = useApi(db, { clock, leaseSweepMs: 3_600_000 });
  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  const events = async (type: string) =>
    db.warehouse.query<{ subject: string; data: string }>('SELECT subject, data FROM events WHERE tenant_id = ? AND type = ? ORDER BY subject', ['acme', type]);

  it('times each routed lead from routing to first touch on the platform clock, and reports each one past its SLA once', async () => {
    const [ops, lead, exec, forms, eve] = await Promise.all([
      server.api.principal('rev-ops', 'acme', 'operator'), server.api.principal('sales-lead', 'acme', 'approver'),
      server.api.principal('sre', 'acme', 'operator'), server.api.principal('forms', 'acme', 'writer'), server.api.principal('eve', 'acme', 'writer'),
    ]);
    const run = (await call(ops, 'POST', '/v1/workflows/types/revops-routing-policy/runs', { rationale: REASON, params: { policy: POLICY } })).json();
    await call(lead, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: REASON });
    expect((await call(exec, 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).json().status).toBe('succeeded');

    const taken = (await call(forms, 'POST', '/v1/revops/leads:batch', { leads: [
      { id: 'hot-1', source: 'web_form', email: 'a@hot1.io', icp_score: 90 },
      { id: 'hot-2', source: 'web_form', email: 'b@hot2.io', icp_score: 85 },
      { id: 'cold', source: 'web_form', email: 'c@cold.io', icp_score: 20 },
    ] })).json().leads;
    expect(taken.map((l: { routing: { due_at: string | null } }) => l.routing.due_at)).toEqual(['2026-11-30T10:15:00.000Z', '2026-11-30T10:15:00.000Z', null]);

    clock.advance(5 * MINUTE);
    const touched = await call(eve, 'POST', '/v1/revops/leads/hot-1/touch', { channel: 'call' });
    expect(touched.statusCode, touched.body).toBe(200);
    expect(touched.json()).toMatchObject({ first: true, minutes_to_touch: 5, within_sla: true, touched_by: 'acme/eve', receipt_id: expect.stringMatching(/^rcpt-/) });
    clock.advance(MINUTE);
    expect((await call(eve, 'POST', '/v1/revops/leads/hot-1/touch', { channel: 'email' })).json()).toMatchObject({ first: false, minutes_to_touch: 5, channel: 'call' });

    // At 10:14 nothing is late; at 10:25 hot-2 is, once.
    clock.advance(8 * MINUTE);
    expect(await sweepSlaBreaches(server.api.app.platform, clock.now())).toBe(0);
    clock.advance(11 * MINUTE);
    expect(await sweepSlaBreaches(server.api.app.platform, clock.now())).toBe(1);
    expect(await sweepSlaBreaches(server.api.app.platform, clock.now())).toBe(0);
    const breaches = await events('revops.lead.sla_breached');
    expect(breaches.map((e) => [e.subject, JSON.parse(e.data).minutes_overdue])).toEqual([['hot-2', 10]]);

    expect((await call(eve, 'POST', '/v1/revops/leads/hot-2/touch', {})).json()).toMatchObject({ first: true, minutes_to_touch: 25, within_sla: false });
    expect((await call(eve, 'POST', '/v1/revops/leads/cold/touch', {})).json()).toMatchObject({ within_sla: null });
    const touches = await events('revops.lead.touched');
    expect(touches.map((e) => [e.subject, JSON.parse(e.data).within_sla])).toEqual([['cold', null], ['hot-1', true], ['hot-2', false]]);

    const missing = await call(eve, 'POST', '/v1/revops/leads/nobody/touch', {});
    expect([missing.statusCode, missing.json().code, missing.headers['x-companyos-receipt']]).toEqual([404, 'LEAD_NOT_FOUND', undefined]);
    const other = await server.api.principal('gil', 'globex', 'writer');
    expect((await call(other, 'POST', '/v1/revops/leads/hot-1/touch', {})).json().code).toBe('LEAD_NOT_FOUND');
  });

  it('hands a lead left untouched past its SLA to another member of its pool when the pool says so, once, receipted', async () => {
    const [ops, lead, exec, forms] = await Promise.all([
      server.api.principal('rev-ops', 'acme', 'operator'), server.api.principal('sales-lead', 'acme', 'approver'),
      server.api.principal('sre', 'acme', 'operator'), server.api.principal('forms', 'acme', 'writer'),
    ]);
    const policy = {
      pools: { na: { strategy: 'round-robin', reassign_on_breach: true, members: [{ id: 'eve' }, { id: 'fay' }, { id: 'gus', hours: { tz: 'UTC', days: [7], from: '00:00', to: '00:01' } }] } },
      rules: [{ id: 'hot', when: { field: 'icp_score', gte: 80 }, pool: 'na', sla_minutes: 15 }],
    };
    const run = (await call(ops, 'POST', '/v1/workflows/types/revops-routing-policy/runs', { rationale: REASON, params: { policy } })).json();
    await call(lead, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: REASON });
    await call(exec, 'POST', `/v1/workflows/runs/${run.run_id}/execute`);
    const taken = (await call(forms, 'POST', '/v1/revops/leads', { id: 'hot-r', source: 'web_form', email: 'a@reassign.io', icp_score: 95 })).json().leads[0];
    const first = taken.routing.assignee as string;
    const platform = server.api.app.platform;
    const router = new LeadRouter(platform);
    const sweep = () => sweepSlaBreaches({ ...platform, reassign: (tenant, leadId, at) => router.reassign(tenant, leadId, at) }, clock.now());

    clock.advance(16 * MINUTE);
    expect(await sweep()).toBe(1);
    const [moved] = await events('revops.lead.reassigned');
    const data = JSON.parse(moved!.data);
    // Not the one who let it lapse, and not gus, out of hours.
    expect(data).toMatchObject({ lead_id: 'hot-r', from: first, to: first === 'eve' ? 'fay' : 'eve', due_at: new Date(clock.now().getTime() + 15 * MINUTE).toISOString() });
    expect((await call(forms, 'GET', `/v1/provenance/receipts/${data.receipt_id}`)).statusCode).toBe(200);
    // The new assignee has their own fifteen minutes: the gauge falls, and nothing is reassigned twice.
    expect((await leadsPastSla(platform.state, clock.now())).get('acme')).toBe(0);
    expect(await sweep()).toBe(0);
    expect(await events('revops.lead.reassigned')).toHaveLength(1);
    const touch = await call(await server.api.principal(data.to, 'acme', 'writer'), 'POST', '/v1/revops/leads/hot-r/touch', {});
    expect(touch.json()).toMatchObject({ assignee: data.to, within_sla: true, due_at: data.due_at });
  });
});
