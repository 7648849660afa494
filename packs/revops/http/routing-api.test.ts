import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { useApi } from '../../../test/support/api.ts';

const POLICY = {
  pools: {
    founders: { strategy: 'round-robin', members: [{ id: 'ceo' }] },
    emea: { strategy: 'round-robin', members: [{ id: 'ana' }, { id: 'ben' }, { id: 'chi' }, { id: 'dev' }] },
    na: { strategy: 'lowest-open', members: [{ id: 'eve', weight: 2 }, { id: 'fay' }] },
    night: { strategy: 'round-robin', members: [{ id: 'owl', hours: { tz: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '00:01' } }] },
  },
  rules: [
    { id: 'strategic', when: { all: [{ field: 'arr_band', eq: '5m+' }, { field: 'icp_score', gte: 80 }] }, pool: 'founders' },
    { id: 'night-shift', when: { field: 'segment', eq: 'night' }, pool: 'night' },
    { id: 'emea', when: { field: 'region', eq: 'emea' }, pool: 'emea' },
    { id: 'default', pool: 'na' },
  ],
};
const CHANGE = { category: 'territory-change', text: 'EMEA pool grows to four reps from December' };
const OK = { category: 'territory-change', text: 'checked the replay: only EMEA leads move' };

describe.each(TEST_ENGINES)('RevOps lead routing on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);
  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  const people = async () => ({
    ops: await server.api.principal('rev-ops', 'acme', 'operator'),
    lead: await server.api.principal('sales-lead', 'acme', 'approver'),
    exec: await server.api.principal('sre', 'acme', 'operator'),
    forms: await server.api.principal('forms', 'acme', 'writer'),
  });
  const publish = async (who: Awaited<ReturnType<typeof people>>, policy: object) => {
    const run = await call(who.ops, 'POST', '/v1/workflows/types/revops-routing-policy/runs', { rationale: CHANGE, params: { policy } });
    expect(run.statusCode, run.body).toBe(201);
    expect((await call(who.lead, 'POST', `/v1/workflows/runs/${run.json().run_id}/approvals`, { decision: 'approve', rationale: OK })).statusCode).toBe(201);
    const done = await call(who.exec, 'POST', `/v1/workflows/runs/${run.json().run_id}/execute`);
    expect(done.json().status, done.body).toBe('succeeded');
    return run.json();
  };

  it('routes new leads only once a governed run has published a policy, each routing receipted and replayable', async () => {
    const who = await people();
    expect((await call(who.forms, 'GET', '/v1/revops/routing/policy')).json().code).toBe('ROUTING_POLICY_NONE');
    const before = (await call(who.forms, 'POST', '/v1/revops/leads', { id: 'early', source: 'email', email: 'early@firm.io' })).json().leads[0];
    expect(before.routing).toBeNull();

    const run = await publish(who, POLICY);
    expect(run.transitions.at(-1).detail.preflight).toMatchObject({ replayed: 0, changed: 0 });
    const policy = (await call(who.forms, 'GET', '/v1/revops/routing/policy')).json();
    expect(policy.rules.map((r: { id: string }) => r.id)).toEqual(['strategic', 'night-shift', 'emea', 'default']);

    const leads = (await call(who.forms, 'POST', '/v1/revops/leads:batch', { leads: [
      { id: 'big', source: 'web_form', email: 'cto@bigco.io', country: 'US', arr_band: '5m+', icp_score: 91 },
      { id: 'de-1', source: 'web_form', email: 'a@firma.de', country: 'DE' },
      { id: 'us-1', source: 'email', email: 'b@firm.us', country: 'US' },
      { id: 'owl', source: 'email', email: 'c@late.io', segment: 'night' },
      { id: 'dup', source: 'email', email: 'A@firma.de' },
      { id: 'junk', source: 'email', email: 'x@mailinator.com' },
    ] })).json().leads;
    expect(leads.map((l: { id: string; routing: { assignee: string | null; rule: string; reason: string | null } | null }) => [l.id, l.routing?.rule ?? null, l.routing?.reason ?? l.routing?.assignee ?? null])).toEqual([
      ['big', 'strategic', 'ceo'], ['de-1', 'emea', expect.stringMatching(/^(ana|ben|chi|dev)$/)], ['us-1', 'default', expect.stringMatching(/^(eve|fay)$/)],
      ['owl', 'night-shift', 'no-member-available'], ['dup', null, null], ['junk', null, null],
    ]);
    for (const lead of leads.filter((l: { routing: unknown }) => l.routing)) {
      const receipt = await call(who.forms, 'GET', `/v1/provenance/receipts/${lead.routing.receipt_id}`);
      expect(receipt.statusCode, lead.id).toBe(200);
    }
    expect((await call(who.forms, 'GET', '/v1/revops/leads/de-1')).json().routing).toMatchObject({ rule: 'emea', receipt_id: 'route-de-1' });
    // Taken again by its id: the same routing, not a second one.
    expect((await call(who.forms, 'POST', '/v1/revops/leads', { id: 'de-1', source: 'web_form', email: 'a@firma.de', country: 'DE' })).json().leads[0].routing.receipt_id).toBe('route-de-1');

    const events = await db.warehouse.query<{ type: string; n: number }>(
      "SELECT type, count(*) AS n FROM events WHERE tenant_id = 'acme' AND type IN ('revops.lead.routed', 'revops.lead.disposition') GROUP BY type ORDER BY type",
    );
    expect(events.map((e) => [e.type, Number(e.n)])).toEqual([['revops.lead.disposition', 3], ['revops.lead.routed', 3]]);

    const replay = (await call(who.forms, 'POST', '/v1/revops/routing/replay', { last: 100 })).json();
    expect(replay).toMatchObject({ policy_revision: null, replayed: 4, same: 4, changed: 0 });
    // A draft without the strategic rule: who would have been routed differently.
    const draft = { ...POLICY, rules: POLICY.rules.slice(1) };
    const tried = (await call(who.forms, 'POST', '/v1/revops/routing/replay', { last: 100, draft })).json();
    const moved = tried.leads.filter((l: { same: boolean }) => !l.same).map((l: { lead_id: string; replayed: { rule: string } }) => [l.lead_id, l.replayed.rule]);
    // The strategic lead falls to the default pool, which may move the default pool's next lead to its other member.
    expect(moved[0]).toEqual(['big', 'default']);
    for (const [, rule] of moved) expect(rule).toBe('default');
    expect((await publish(who, draft)).transitions.at(-1).detail.preflight).toMatchObject({ replayed: 4, changed: moved.length });
    // Routings made by the first policy still replay by it.
    expect((await call(who.forms, 'POST', '/v1/revops/routing/replay', { last: 100 })).json()).toMatchObject({ same: 4, changed: 0 });
  });

  it('assigns no lead twice and keeps a pool even when eight intakes race over 1,000 leads', async () => {
    const who = await people();
    await publish(who, POLICY);
    const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 125 }, (_, i) => ({ id: `r-${b}-${i}`, source: 'partner_referral', email: `p${b}x${i}@co${b}x${i}.de`, country: 'DE' })));
    const replies = await Promise.all(batches.map((leads) => call(who.forms, 'POST', '/v1/revops/leads:batch', { leads })));
    for (const reply of replies) expect(reply.statusCode, reply.body.slice(0, 200)).toBe(201);
    const routed = replies.flatMap((r) => r.json().leads.map((l: { routing: { assignee: string } }) => l.routing.assignee));
    const per = routed.reduce<Record<string, number>>((c, a) => ({ ...c, [a]: (c[a] ?? 0) + 1 }), {});
    expect(Object.values(per).reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(Math.max(...Object.values(per)) - Math.min(...Object.values(per))).toBeLessThanOrEqual(1);
    const rows = await server.api.app.platform.state.query<{ n: number; leads: number }>("SELECT count(*) AS n, count(DISTINCT lead_id) AS leads FROM revops_routings WHERE tenant_id = 'acme'");
    expect([Number(rows[0]!.n), Number(rows[0]!.leads)]).toEqual([1_000, 1_000]);
    expect((await call(who.forms, 'POST', '/v1/revops/routing/replay', { last: 1_000 })).json()).toMatchObject({ replayed: 1_000, same: 1_000 });
  });

  it('refuses a routing policy it cannot route by, before any run is recorded', async () => {
    const who = await people();
    const bad = await call(who.ops, 'POST', '/v1/workflows/types/revops-routing-policy/runs', { rationale: CHANGE, params: { policy: { pools: {}, rules: [] } } });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'ROUTING_POLICY_INVALID']);
    expect((await call(who.ops, 'GET', '/v1/workflows/runs')).json().runs).toEqual([]);
  });
});
