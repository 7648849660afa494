import { describe, expect, it } from 'vitest';
import { verifyBundle } from '../../kernel/ledger/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { useApi } from '../../test/support/api.ts';

const SECURITY = { category: 'security', text: 'quarterly rotation of the ledger signing key' };

describe.each(TEST_ENGINES)('High-Risk Ops: ledger key rotation on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  it('rotates the signing key once, through request, approval and execution, and what the old key signed still verifies', async () => {
    const [ana, bo, cy] = await Promise.all([
      server.api.principal('ana', 'summit-internal', 'operator'), server.api.principal('bo', 'summit-internal', 'approver'), server.api.principal('cy', 'summit-internal', 'operator'),
    ]);
    const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
      server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const keyring = server.api.app.ledgerStore.keyring;
    const before = keyring.active.keyId;

    const requested = await call(ana, 'POST', '/v1/workflows/types/ledger-key-rotation/runs', { rationale: SECURITY });
    expect(requested.statusCode, requested.body).toBe(201);
    const run = requested.json();
    expect(run.transitions[1].detail.preflight).toEqual({ active_key_id: before, keys: 1 });
    // Requested, not yet approved: nothing rotated.
    expect(keyring.active.keyId).toBe(before);
    const earlier = (await call(bo, 'GET', `/v1/workflows/runs/${run.run_id}/evidence`)).json();

    expect((await call(bo, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: SECURITY })).statusCode).toBe(201);
    const executed = await call(cy, 'POST', `/v1/workflows/runs/${run.run_id}/execute`);
    expect(executed.statusCode, executed.body).toBe(200);
    const done = executed.json();
    expect(done.status).toBe('succeeded');
    const execute = done.steps.find((s: { step: string; phase: string }) => s.step === 'execute' && s.phase === 'completed').output.result;
    expect(execute).toEqual({ retired_key_id: before, active_key_id: keyring.active.keyId, rotated: true });
    expect(keyring.active.keyId).not.toBe(before);
    expect(keyring.get(before)?.retiredAt).toBeTruthy();

    // Receipts signed before the rotation verify with the ring as it is now; the run's own bundle too.
    expect(verifyBundle(earlier, keyring.all()).failures).toEqual([]);
    expect(verifyBundle((await call(bo, 'GET', `/v1/workflows/runs/${run.run_id}/evidence`)).json(), keyring.all()).failures).toEqual([]);
    // The approval was consumed: executing again is refused, and nothing rotates twice.
    expect((await call(cy, 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).statusCode).toBe(409);
    expect(keyring.all()).toHaveLength(2);
  });

  it('finds the work done when the key was rotated after its preflight, instead of rotating twice', async () => {
    const [ana, bo, cy] = await Promise.all([
      server.api.principal('ana', 'summit-internal', 'operator'), server.api.principal('bo', 'summit-internal', 'approver'), server.api.principal('cy', 'summit-internal', 'operator'),
    ]);
    const call = (token: string, url: string, payload?: object) =>
      server.api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const run = (await call(ana, '/v1/workflows/types/ledger-key-rotation/runs', { rationale: SECURITY })).json();
    await call(bo, `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: SECURITY });
    await server.api.app.ledgerStore.keyring.rotate();
    const done = (await call(cy, `/v1/workflows/runs/${run.run_id}/execute`)).json();
    expect(done.status).toBe('succeeded');
    expect(done.steps.find((s: { step: string; phase: string }) => s.step === 'execute' && s.phase === 'completed').output.result.rotated).toBe(false);
    expect(server.api.app.ledgerStore.keyring.all()).toHaveLength(2);
  });

  it('refuses parameters it does not take and a reason too short', async () => {
    const ana = await server.api.principal('ana', 'summit-internal', 'operator');
    const call = (payload: object) => server.api.app.inject({ method: 'POST', url: '/v1/workflows/types/ledger-key-rotation/runs', headers: { authorization: `Bearer ${ana}` }, payload });
    expect((await call({ rationale: SECURITY, params: { key: 'x' } })).json().code).toBe('WORKFLOW_PARAMS_INVALID');
    expect((await call({ rationale: { category: 'security', text: 'rotate it' } })).json().code).toBe('RATIONALE_INVALID');
    expect((await call({ rationale: { category: 'maintenance', text: 'quarterly rotation of the ledger signing key' } })).json().code).toBe('RATIONALE_INVALID');
  });
});
