import { describe, expect, it } from 'vitest';
import { verifyBundle } from '../../kernel/ledger/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { useApi } from '../../test/support/api.ts';
import { TestClock } from '../../test/support/test-clock.ts';

const MINUTE = 60 * 1000;
const INCIDENT = { category: 'incident', text: 'INC-4411: read the failed invoices of acme' };

describe.each(TEST_ENGINES)('High-Risk Ops: temporary access on %s', (engine) => {
  const db = useWarehouse(engine);
  // An hour behind the wall clock the decision log writes with, so accesses under the grant fall after its start.
  const clock = new TestClock(new Date(Date.now() - 60 * MINUTE));
  const server = useApi(db, { clock, leaseSweepMs: 3_600_000 });

  it('grants a role whose clock starts at approval, logs each access against the grant, and revokes it at expiry with a receipt', async () => {
    const [ops, boss, cy, dana] = await Promise.all([
      server.api.principal('ops', 'acme', 'operator'), server.api.principal('boss', 'acme', 'approver'),
      server.api.principal('cy', 'acme', 'operator'), server.api.principal('dana', 'acme', 'reader'),
    ]);
    const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
      server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    // Dana, a reader, may not read workflow evidence as an auditor does... until granted operator.
    const run = (await call(ops, 'POST', '/v1/workflows/types/temporary-access/runs', { rationale: INCIDENT, params: { grantee: 'dana', role: 'operator', duration_minutes: 30 } })).json();
    expect(run.status).toBe('awaiting-approval');
    expect((await call(dana, 'POST', '/v1/workflows/types/ledger-key-rotation/runs', { rationale: INCIDENT })).statusCode).toBe(403);

    // The approval comes 20 minutes after the request: the 30 minutes count from it.
    clock.advance(20 * MINUTE);
    const approvedAt = clock.now();
    expect((await call(boss, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: INCIDENT })).json().status).toBe('approved');
    clock.advance(5 * MINUTE);
    const active = (await call(cy, 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).json();
    expect(active.status).toBe('active');
    const granted = active.steps.find((s: { step: string; phase: string }) => s.step === 'execute' && s.phase === 'completed').output.result;
    expect(granted).toMatchObject({ grantee: 'acme/dana', role: 'operator', granted_at: approvedAt.toISOString() });
    expect(new Date(granted.expires_at).getTime()).toBe(approvedAt.getTime() + 30 * MINUTE);

    // Under the grant Dana acts as an operator; each decision names the grant.
    const underGrant = await call(dana, 'GET', '/v1/workflows/runs');
    expect(underGrant.statusCode).toBe(200);
    const asOperator = await call(dana, 'POST', '/v1/workflows/runs/00000000-0000-4000-8000-000000000000/cancel');
    expect(asOperator.statusCode).toBe(404);

    // 26 minutes after the approval the grant still holds; at 30 it is gone, before any sweep.
    clock.advance(21 * MINUTE);
    expect((await call(dana, 'POST', '/v1/workflows/runs/00000000-0000-4000-8000-000000000000/cancel')).statusCode).toBe(404);
    clock.advance(4 * MINUTE);
    expect((await call(dana, 'POST', '/v1/workflows/runs/00000000-0000-4000-8000-000000000000/cancel')).statusCode).toBe(403);

    // The sweep revokes it, receipted, listing the accesses made under it.
    expect(await server.api.app.platform.workflows.expireLeases()).toEqual([run.run_id]);
    const ended = (await call(ops, 'GET', `/v1/workflows/runs/${run.run_id}`)).json();
    expect(ended.status).toBe('revoked');
    const revocation = ended.steps.find((s: { step: string; phase: string }) => s.step === 'revoke' && s.phase === 'completed').output.result;
    expect(revocation).toMatchObject({ reason: 'expired', accesses: 3 });
    expect(ended.transitions.at(-1)).toMatchObject({ status: 'revoked', actor: 'workflow-engine' });
    const bundle = (await call(ops, 'GET', `/v1/workflows/runs/${run.run_id}/evidence`)).json();
    expect(verifyBundle(bundle, server.api.app.ledgerStore.keyring.all()).failures).toEqual([]);
    expect(bundle.entries).toHaveLength(ended.transitions.length);
    expect(await server.api.app.platform.workflows.expireLeases()).toEqual([]);
  });

  it('refuses the grantee as approver or executor, and a cancel revokes an active grant at once', async () => {
    const [ops, dana, boss, cy] = await Promise.all([
      server.api.principal('ops', 'acme', 'operator'), server.api.principal('dana', 'acme', 'approver', 'operator'),
      server.api.principal('boss', 'acme', 'approver'), server.api.principal('cy', 'acme', 'operator'),
    ]);
    const call = (token: string, url: string, payload?: object) =>
      server.api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const run = (await call(ops, '/v1/workflows/types/temporary-access/runs', { rationale: INCIDENT, params: { grantee: 'dana', role: 'auditor', duration_minutes: 60 } })).json();
    const selfApproval = await call(dana, `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: INCIDENT });
    expect(selfApproval.json().code).toBe('WORKFLOW_SEPARATION_OF_DUTIES');
    await call(boss, `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: INCIDENT });
    expect((await call(dana, `/v1/workflows/runs/${run.run_id}/execute`)).json().code).toBe('WORKFLOW_SEPARATION_OF_DUTIES');
    expect((await call(cy, `/v1/workflows/runs/${run.run_id}/execute`)).json().status).toBe('active');

    const cancelled = await call(ops, `/v1/workflows/runs/${run.run_id}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json().status).toBe('revoked');
    const grant = await server.api.app.platform.grants.find('acme', run.run_id);
    expect(grant?.revokedAt).toBeTruthy();
    const revoke = cancelled.json().steps.find((s: { step: string; phase: string }) => s.step === 'revoke' && s.phase === 'completed').output.result;
    expect(revoke.reason).toBe('cancelled');

    const invalid = await call(ops, '/v1/workflows/types/temporary-access/runs', { rationale: INCIDENT, params: { grantee: 'dana', role: 'admin', duration_minutes: 60 } });
    expect(invalid.json().code).toBe('WORKFLOW_PARAMS_INVALID');
    const tooLong = await call(ops, '/v1/workflows/types/temporary-access/runs', { rationale: INCIDENT, params: { grantee: 'dana', role: 'reader', duration_minutes: 24 * 60 + 1 } });
    expect(tooLong.json().code).toBe('WORKFLOW_PARAMS_INVALID');
  });

  it('answers a sweep asked for during another with one that sees the later clock (a demo seed behind the timer)', async () => {
    const [ops, boss, cy] = await Promise.all([
      server.api.principal('ops', 'acme', 'operator'), server.api.principal('boss', 'acme', 'approver'), server.api.principal('cy', 'acme', 'operator'),
    ]);
    const call = (token: string, url: string, payload?: object) =>
      server.api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const run = (await call(ops, '/v1/workflows/types/temporary-access/runs', { rationale: INCIDENT, params: { grantee: 'dana', role: 'auditor', duration_minutes: 15 } })).json();
    await call(boss, `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: INCIDENT });
    expect((await call(cy, `/v1/workflows/runs/${run.run_id}/execute`)).json().status).toBe('active');
    const { workflows } = server.api.app.platform;
    // The timer's sweep starts while the grant still holds; the grant expires; a caller then asks for its own sweep.
    const timers = workflows.expireLeases();
    clock.advance(16 * MINUTE);
    const asked = workflows.expireLeases();
    expect(await timers).toEqual([]);
    expect(await asked).toEqual([run.run_id]);
    expect((await workflows.get('acme', run.run_id)).status).toBe('revoked');
  });

  it('revokes every grant whose time is up in one sweep, several at once, each once, in two tenants, and leaves the rest active', async () => {
    const grants: { tenant: string; runId: string; minutes: number }[] = [];
    for (const tenant of ['acme', 'globex']) {
      const [ops, boss, cy] = await Promise.all([
        server.api.principal('ops', tenant, 'operator'), server.api.principal('boss', tenant, 'approver'), server.api.principal('cy', tenant, 'operator'),
      ]);
      const call = (token: string, url: string, payload?: object) =>
        server.api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
      for (const minutes of [15, 15, 30, 15, 120, 15]) {
        const run = (await call(ops, '/v1/workflows/types/temporary-access/runs', { rationale: INCIDENT, params: { grantee: 'dana', role: 'auditor', duration_minutes: minutes } })).json();
        await call(boss, `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: INCIDENT });
        expect((await call(cy, `/v1/workflows/runs/${run.run_id}/execute`)).json().status).toBe('active');
        grants.push({ tenant, runId: run.run_id, minutes });
      }
    }
    clock.advance(31 * MINUTE);
    const { workflows } = server.api.app.platform;
    const revoked = await workflows.expireLeases();
    const expired = grants.filter((g) => g.minutes <= 30);
    expect([...revoked].sort()).toEqual(expired.map((g) => g.runId).sort());
    for (const grant of grants) {
      const view = await workflows.get(grant.tenant, grant.runId);
      expect(view.status, `${grant.tenant} ${grant.minutes} min`).toBe(grant.minutes <= 30 ? 'revoked' : 'active');
      expect(view.transitions.filter((t) => t.status === 'revoked')).toHaveLength(grant.minutes <= 30 ? 1 : 0);
    }
    // Each revocation's receipt is in its own tenant's log, which proves it.
    for (const grant of expired) {
      const auditor = await server.api.principal('audit', grant.tenant, 'operator');
      const evidence = await server.api.app.inject({ url: `/v1/workflows/runs/${grant.runId}/evidence`, headers: { authorization: `Bearer ${auditor}` } });
      const bundle = evidence.json();
      expect(verifyBundle(bundle, server.api.app.ledgerStore.keyring.all()).failures).toEqual([]);
      expect(bundle.tenant).toBe(grant.tenant);
    }
    expect(await workflows.expireLeases()).toEqual([]);
  });

  it('revokes a grant once when the sweep, a second sweep and a cancel meet on it', async () => {
    const [ops, boss, cy] = await Promise.all([
      server.api.principal('ops', 'acme', 'operator'), server.api.principal('boss', 'acme', 'approver'), server.api.principal('cy', 'acme', 'operator'),
    ]);
    const call = (token: string, url: string, payload?: object) =>
      server.api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const run = (await call(ops, '/v1/workflows/types/temporary-access/runs', { rationale: INCIDENT, params: { grantee: 'dana', role: 'auditor', duration_minutes: 30 } })).json();
    await call(boss, `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: INCIDENT });
    expect((await call(cy, `/v1/workflows/runs/${run.run_id}/execute`)).json().status).toBe('active');
    clock.advance(31 * MINUTE);
    const { workflows } = server.api.app.platform;
    const [first, second, cancelled] = await Promise.all([workflows.expireLeases(), workflows.expireLeases(), call(ops, `/v1/workflows/runs/${run.run_id}/cancel`)]);
    expect([...first, ...second]).toContain(run.run_id);
    expect([cancelled.statusCode, cancelled.json().status], cancelled.body).toEqual([200, 'revoked']);
    const view = await workflows.get('acme', run.run_id);
    expect(view.transitions.filter((t) => t.status === 'revoked')).toHaveLength(1);
    expect(view.steps.filter((s) => s.step === 'revoke' && s.phase === 'started')).toHaveLength(1);
  });
});
