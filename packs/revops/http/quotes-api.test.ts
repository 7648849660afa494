import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { useApi } from '../../../test/support/api.ts';
import { TestClock } from '../../../test/support/test-clock.ts';
import { canonicalJson } from '../canonical-json.ts';

const HOUR = 3_600_000;
const TERMS = { term_months: 12, billing: 'annual' };
const COMPETITIVE = { category: 'competitive', text: 'Competing with a cheaper incumbent on the renewal' };
const quote = (id: string, finalPrice: string | number, extra: Record<string, unknown> = {}) => ({ id, account: 'Initech', currency: 'USD', list_price: '100000.00', final_price: finalPrice, terms: TERMS, ...extra });

describe.each(TEST_ENGINES)('RevOps quotes and the discount matrix on %s', (engine) => {
  const db = useWarehouse(engine);
  const clock = new TestClock(new Date('2026-11-30T10:00:00.000Z'));
  const server = useApi(db, { clock, leaseSweepMs: 3_600_000 });
  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  const people = async (tenant = 'acme') => {
    const [rep, lead, finance, ceo, approver, leadRep] = await Promise.all([
      server.api.principal('rep-ann', tenant, 'writer'), server.api.principal('lead-bo', tenant, 'sales_lead'), server.api.principal('fin-cy', tenant, 'finance'),
      server.api.principal('ceo-di', tenant, 'ceo'), server.api.principal('appr-ed', tenant, 'approver'), server.api.principal('lead-fay', tenant, 'sales_lead', 'writer'),
    ]);
    return { rep, lead, finance, ceo, approver, leadRep };
  };
  const approve = (token: string, runId: string, rationale = { category: 'competitive', text: 'Keeps the account against a cheaper rival' }) =>
    call(token, 'POST', `/v1/workflows/runs/${runId}/approvals`, { decision: 'approve', rationale });

  it('approves up to 10% at once, and receipts each approval with prices, discount, reason and the approvers\' roles', async () => {
    const who = await people();
    const auto = await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-auto', '90000.00'));
    expect(auto.statusCode, auto.body).toBe(201);
    expect(auto.json()).toMatchObject({
      status: 'approved', current: { revision: 1, discount_percent: '10.0000000000', band: 'automatic', approval_run_id: null, list_price: '100000.0000000000' },
      approval: { band: 'automatic', run_id: null, record: { approvers: [], list_price: '100000.0000000000', final_price: '90000.0000000000', discount_percent: '10.0000000000' } },
    });

    const asked = await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-15', '85000.00', { rationale: COMPETITIVE }));
    expect(asked.statusCode, asked.body).toBe(201);
    expect(asked.json()).toMatchObject({ status: 'awaiting-approval', current: { band: 'sales-lead', discount_percent: '15.0000000000' }, approval: null });
    const runId = asked.json().current.approval_run_id;
    expect((await call(who.rep, 'GET', `/v1/workflows/runs/${runId}`)).json()).toMatchObject({ workflow_type: 'revops-discount', status: 'awaiting-approval', outstanding: { sales_lead: 1 } });

    // A plain approver is not a sales lead; a sales lead who asked may not approve it (no self-approval).
    expect((await approve(who.approver, runId)).json().code).toBe('WORKFLOW_APPROVER_NOT_ELIGIBLE');
    const own = await call(who.leadRep, 'POST', '/v1/revops/quotes', quote('q-own', '85000.00', { rationale: COMPETITIVE }));
    expect((await approve(who.leadRep, own.json().current.approval_run_id)).json().code).toBe('SELF_APPROVAL_REFUSED');
    // An approval without a reason from the taxonomy is refused.
    expect((await approve(who.lead, runId, { category: 'because', text: 'Keeps the account against a cheaper rival' })).json().code).toBe('RATIONALE_INVALID');

    clock.advance(2 * HOUR);
    const approved = await approve(who.lead, runId);
    expect(approved.json(), approved.body).toMatchObject({ status: 'succeeded' });
    const done = (await call(who.rep, 'GET', '/v1/revops/quotes/q-15')).json();
    expect(done).toMatchObject({
      status: 'approved',
      approval: {
        revision: 1, band: 'sales-lead', run_id: runId,
        record: {
          list_price: '100000.0000000000', final_price: '85000.0000000000', discount_percent: '15.0000000000', band: 'sales-lead', reason: COMPETITIVE,
          approvers: [{ approver: 'acme/lead-bo', roles: ['sales_lead'], rationale: { category: 'competitive' } }],
        },
      },
    });
    // The receipt signs exactly that record.
    const receipt = (await call(who.rep, 'GET', `/v1/provenance/receipts/${done.approval.receipt_id}`)).json();
    const statement = JSON.parse(Buffer.from(receipt.envelope.payload, 'base64').toString('utf8'));
    expect(statement.subject[0]).toEqual({ name: 'revops-quote/q-15', digest: { sha256: createHash('sha256').update(canonicalJson(done.approval.record)).digest('hex') } });
    expect(statement.predicate).toMatchObject({ action: 'revops.quote.approve', approvers: ['acme/lead-bo'], bundleRevision: 'discount-matrix:v1' });
  });

  it('needs finance AND the CEO above 20%, and a reason to ask at all', async () => {
    const who = await people();
    const none = await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-30', '70000.00'));
    expect([none.statusCode, none.json().code]).toEqual([400, 'QUOTE_RATIONALE_REQUIRED']);
    const short = await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-30', '70000.00', { rationale: { category: 'strategic', text: 'logo' } }));
    expect([short.statusCode, short.json().code]).toEqual([400, 'RATIONALE_INVALID']);
    expect((await call(who.rep, 'GET', '/v1/revops/quotes/q-30')).statusCode).toBe(404);

    const asked = (await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-30', '70000.00', { rationale: { category: 'strategic', text: 'A reference logo in a new vertical for us' } }))).json();
    const runId = asked.current.approval_run_id;
    expect(asked).toMatchObject({ status: 'awaiting-approval', current: { band: 'finance-and-ceo', discount_percent: '30.0000000000' } });
    expect((await approve(who.lead, runId)).json().code).toBe('WORKFLOW_APPROVER_NOT_ELIGIBLE');
    expect((await approve(who.finance, runId)).json()).toMatchObject({ status: 'awaiting-approval', outstanding: { ceo: 1 } });
    expect((await call(who.rep, 'GET', '/v1/revops/quotes/q-30')).json().status).toBe('awaiting-approval');
    clock.advance(HOUR);
    expect((await approve(who.ceo, runId)).json().status).toBe('succeeded');
    const done = (await call(who.rep, 'GET', '/v1/revops/quotes/q-30')).json();
    expect(done.status).toBe('approved');
    expect(done.approval.record.approvers.map((a: { roles: string[] }) => a.roles)).toEqual([['finance'], ['ceo']]);
  });

  it('needs no new approval for an unchanged requote, and a new one for changed terms; a superseded request is cancelled', async () => {
    const who = await people();
    const first = (await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-re', '85000.00', { rationale: COMPETITIVE }))).json();
    await approve(who.lead, first.current.approval_run_id);

    const same = await call(who.rep, 'POST', '/v1/revops/quotes/q-re/revisions', { ...quote('', '85000.000'), id: undefined });
    expect(same.statusCode, same.body).toBe(201);
    expect(same.json()).toMatchObject({ status: 'approved', current: { revision: 2, approval_run_id: null }, approval: { revision: 1 } });

    const longer = (await call(who.rep, 'POST', '/v1/revops/quotes/q-re/revisions', { ...quote('', '85000.00', { rationale: COMPETITIVE }), id: undefined, terms: { term_months: 24, billing: 'annual' } })).json();
    expect(longer).toMatchObject({ status: 'awaiting-approval', current: { revision: 3 }, approval: null });
    const cheaper = (await call(who.rep, 'POST', '/v1/revops/quotes/q-re/revisions', { ...quote('', '82000.00', { rationale: COMPETITIVE }), id: undefined })).json();
    expect(cheaper).toMatchObject({ status: 'awaiting-approval', current: { revision: 4 } });
    expect((await call(who.rep, 'GET', `/v1/workflows/runs/${longer.current.approval_run_id}`)).json().status).toBe('cancelled');

    // Back to the approved terms: approved on the first approval.
    const back = (await call(who.rep, 'POST', '/v1/revops/quotes/q-re/revisions', { ...quote('', '85000.00'), id: undefined })).json();
    expect(back).toMatchObject({ status: 'approved', current: { revision: 5, approval_run_id: null }, approval: { revision: 1 } });
    expect((await call(who.rep, 'GET', `/v1/workflows/runs/${cheaper.current.approval_run_id}`)).json().status).toBe('cancelled');
  });

  it('is won on approved terms only, once, starting the customer\'s activation; a decided quote is not requoted', async () => {
    const who = await people();
    const ACTIVATION = { tenant: 'initech', plan: 'pro', packs: ['revops', 'finops'] };
    const asked = (await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-win', '80000.00', { rationale: COMPETITIVE }))).json();
    const early = await call(who.rep, 'POST', '/v1/revops/quotes/q-win/outcome', { outcome: 'won', activation: ACTIVATION });
    expect([early.statusCode, early.json().code]).toEqual([409, 'QUOTE_NOT_APPROVED']);
    await approve(who.lead, asked.current.approval_run_id);
    const unnamed = await call(who.rep, 'POST', '/v1/revops/quotes/q-win/outcome', { outcome: 'won' });
    expect([unnamed.statusCode, unnamed.json().code]).toEqual([400, 'QUOTE_INVALID']);
    const won = await call(who.rep, 'POST', '/v1/revops/quotes/q-win/outcome', { outcome: 'won', activation: ACTIVATION });
    expect(won.statusCode, won.body).toBe(200);
    expect(won.json()).toMatchObject({ status: 'won', outcome: { outcome: 'won', revision: 1, decided_by: 'acme/rep-ann', activation_run_id: expect.any(String) } });
    expect((await call(who.rep, 'POST', '/v1/revops/quotes/q-win/outcome', { outcome: 'lost' })).json().code).toBe('QUOTE_CLOSED');
    expect((await call(who.rep, 'POST', '/v1/revops/quotes/q-win/revisions', { ...quote('', '80000.00'), id: undefined })).json().code).toBe('QUOTE_CLOSED');
    expect((await call(who.rep, 'GET', '/v1/revops/quotes?status=won')).json().quotes.map((q: { id: string }) => q.id)).toEqual(['q-win']);

    // The activation: onboarding approves (its SLA is a day: the sweep reports the breach), someone else executes.
    const runId = won.json().outcome.activation_run_id;
    expect((await call(who.rep, 'GET', `/v1/workflows/runs/${runId}`)).json()).toMatchObject({ workflow_type: 'revops-activation', status: 'awaiting-approval', params: { tenant: 'initech', plan: 'pro', packs: ['revops', 'finops'] } });
    clock.advance(25 * HOUR);
    await server.api.app.platform.workflows.reportSlaBreaches();
    const onboarding = await server.api.principal('onb-ivy', 'acme', 'approver');
    expect((await approve(onboarding, runId, { category: 'new-customer', text: 'Kick-off call booked with their admin' })).json().status).toBe('approved');
    clock.advance(7 * 24 * HOUR);
    const ops = await server.api.principal('ops-joe', 'acme', 'operator');
    const active = await call(ops, 'POST', `/v1/workflows/runs/${runId}/execute`);
    expect(active.json(), active.body).toMatchObject({ status: 'succeeded' });
    const events = await db.warehouse.query<{ type: string; data: string }>("SELECT type, data FROM events WHERE tenant_id = 'acme' AND subject IN (?, ?) AND type LIKE 'revops.%' ORDER BY type", [runId, 'q-win']);
    expect(events.map((e) => e.type).filter((t) => /activation|sla|won/.test(t))).toEqual(['revops.activation.completed', 'revops.activation.sla_violated', 'revops.approval_sla_breached', 'revops.quote.won']);
    expect(JSON.parse(events.find((e) => e.type === 'revops.activation.completed')!.data)).toMatchObject({ customer_tenant: 'initech', onboarding_days: 8.04, kept_sla: 0 });
    const lost = await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-lost', '95000'));
    expect((await call(who.rep, 'POST', `/v1/revops/quotes/${lost.json().id}/outcome`, { outcome: 'lost', activation: ACTIVATION })).json().code).toBe('QUOTE_INVALID');
  });

  it('refuses money that is not a decimal string, a markup and a quote id taken; another tenant sees none of it', async () => {
    const who = await people();
    for (const [body, code] of [
      [quote('q-bad', 85000), 'QUOTE_INVALID'],
      [quote('q-bad', '1e5'), 'QUOTE_INVALID'],
      [quote('q-bad', '100000.01'), 'QUOTE_INVALID'],
      [{ ...quote('q-bad', '90000'), currency: 'usd' }, 'QUOTE_INVALID'],
      [{ ...quote('q-bad', '90000'), terms: { term_months: 0, billing: 'annual' } }, 'QUOTE_INVALID'],
    ] as const) {
      const reply = await call(who.rep, 'POST', '/v1/revops/quotes', body);
      expect([reply.statusCode, reply.json().code], JSON.stringify(body)).toEqual([400, code]);
    }
    expect((await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-mine', '95000'))).statusCode).toBe(201);
    expect((await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-mine', '95000'))).json().code).toBe('QUOTE_EXISTS');
    const mine = (await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-theirs', '85000', { rationale: COMPETITIVE }))).json();

    const globex = await people('globex');
    expect((await call(globex.rep, 'GET', '/v1/revops/quotes/q-mine')).statusCode).toBe(404);
    expect((await call(globex.rep, 'GET', '/v1/revops/quotes')).json().quotes).toEqual([]);
    expect((await call(globex.rep, 'POST', '/v1/revops/quotes/q-mine/revisions', { ...quote('', '95000'), id: undefined })).statusCode).toBe(404);
    expect((await approve(globex.lead, mine.current.approval_run_id)).statusCode).toBe(404);
    // The same id in another tenant is another quote.
    expect((await call(globex.rep, 'POST', '/v1/revops/quotes', quote('q-mine', '99000'))).statusCode).toBe(201);
  });

  it('numbers concurrent requotes of one quote one after another, each once', async () => {
    const who = await people();
    await call(who.rep, 'POST', '/v1/revops/quotes', quote('q-race', '95000'));
    const replies = await Promise.all(['94000', '93000', '92000', '91000'].map((price) => call(who.rep, 'POST', '/v1/revops/quotes/q-race/revisions', { ...quote('', price), id: undefined })));
    expect(replies.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    const revisions = (await call(who.rep, 'GET', '/v1/revops/quotes/q-race')).json().revisions;
    expect(revisions.map((r: { revision: number }) => r.revision)).toEqual([1, 2, 3, 4, 5]);
  });
});
