import { describe, expect, it } from 'vitest';
import { verifyBundle } from '../../kernel/ledger/index.ts';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY_DIR, loadPolicyBundle, policyFileTexts } from '../../kernel/policies/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { apiHarness, useApi, type ApiHarness } from '../../test/support/api.ts';

const PLATFORM = 'summit-internal';
const CHANGE = { category: 'change', text: 'auditors read workflow evidence only through exported bundles' };
const NEW_FORBID = `
@id("auditors-read-no-workflow-runs")
forbid (principal in CompanyOS::Role::"Auditor", action == CompanyOS::Action::"read", resource)
when { resource.kind == "WorkflowRun" };
`;

function shippedFiles(): Record<string, string> {
  return policyFileTexts(loadPolicyBundle());
}

describe.each(TEST_ENGINES)('High-Risk Ops: policy change on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  async function people(api: ApiHarness) {
    const [ana, bo, cy, dee, aud] = await Promise.all([
      api.principal('ana', PLATFORM, 'operator'), api.principal('bo', PLATFORM, 'approver'), api.principal('cy', PLATFORM, 'admin'),
      api.principal('dee', PLATFORM, 'operator'), api.principal('aud', PLATFORM, 'auditor'),
    ]);
    const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
      api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    return { ana, bo, cy, dee, aud, call };
  }

  it('validates, regression-tests and replays a proposal, then activates it without a restart once a peer and an admin approve; a restart keeps it', async () => {
    const { ana, bo, cy, dee, aud, call } = await people(server.api);
    const before = server.api.app.platform.engine.revision;
    // A decision the proposal would flip: the auditor reads a run today.
    const other = (await call(ana, 'POST', '/v1/workflows/types/ledger-key-rotation/runs', { rationale: { category: 'security', text: 'quarterly rotation of the ledger signing key' } })).json();
    expect((await call(aud, 'GET', `/v1/workflows/runs/${other.run_id}`)).statusCode).toBe(200);

    const files = { ...shippedFiles(), 'workflow-evidence.cedar': NEW_FORBID };
    const requested = await call(ana, 'POST', '/v1/workflows/types/policy-change/runs', { rationale: CHANGE, params: { files, replay_hours: 1 } });
    expect(requested.statusCode, requested.body).toBe(201);
    const run = requested.json();
    expect(run.status).toBe('awaiting-approval');
    const preflight = run.steps.find((s: { step: string; phase: string }) => s.step === 'preflight' && s.phase === 'completed').output;
    expect(preflight.result).toMatchObject({ from_revision: before, regression: { failed: 0 }, replay: { window_hours: 1, flipped: 1 } });
    expect(preflight.result.regression.cases).toBeGreaterThan(600);
    expect(preflight.result.replay.flips[0]).toMatchObject({ principal: `${PLATFORM}/aud`, action: 'read', was: 'allow', would_be: 'deny', reasons: ['auditors-read-no-workflow-runs'] });
    expect(server.api.app.platform.engine.revision).toBe(before);

    // AND of groups: the peer approver alone leaves the admin group outstanding, and nobody may execute.
    const peer = (await call(bo, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: CHANGE })).json();
    expect(peer).toMatchObject({ status: 'awaiting-approval', outstanding: { admin: 1 } });
    expect((await call(dee, 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).statusCode).toBe(409);
    expect((await call(cy, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: CHANGE })).json().status).toBe('approved');
    const executed = await call(dee, 'POST', `/v1/workflows/runs/${run.run_id}/execute`);
    expect(executed.statusCode, executed.body).toBe(200);
    const done = executed.json();
    expect(done.status).toBe('succeeded');
    const result = done.steps.find((s: { step: string; phase: string }) => s.step === 'execute' && s.phase === 'completed').output.result;
    expect(result).toEqual({ from_revision: before, to_revision: preflight.result.proposed_revision, already_active: false });

    // In force at once: the same read is refused now, by the new policy.
    expect(server.api.app.platform.engine.revision).toBe(result.to_revision);
    const refused = await call(aud, 'GET', `/v1/workflows/runs/${other.run_id}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().reasons).toEqual(['auditors-read-no-workflow-runs']);
    // The run's receipts carry both revisions and verify offline.
    const bundle = (await call(bo, 'GET', `/v1/workflows/runs/${run.run_id}/evidence`)).json();
    expect(verifyBundle(bundle, server.api.app.ledgerStore.keyring.all()).failures).toEqual([]);
    const execution = bundle.evidence.find((item: { id: string }) => item.id.startsWith('step:execute:'));
    expect(Buffer.from(execution.content, 'base64').toString()).toContain(`"from_revision":"${before}","to_revision":"${result.to_revision}"`);

    // A restart decides with the activated bundle, not the shipped one.
    await server.api.app.close();
    const restarted = await apiHarness(db.warehouse, { ledger: { keyring: server.api.app.ledgerStore.keyring } });
    try {
      expect(restarted.app.platform.engine.revision).toBe(result.to_revision);
    } finally {
      await restarted.app.close();
    }
    // A release that ships other policies supersedes the activation: what it ships is in force.
    const release = await mkdtemp(join(tmpdir(), 'policy-release-'));
    try {
      await cp(DEFAULT_POLICY_DIR, release, { recursive: true });
      await appendFile(join(release, 'roles.cedar'), '\n// reviewed for release 0.3.0\n');
      const upgraded = await apiHarness(db.warehouse, { ledger: { keyring: server.api.app.ledgerStore.keyring }, policy: { dir: release } });
      try {
        expect(upgraded.app.platform.engine.revision).toBe(loadPolicyBundle(release).revision.id);
      } finally {
        await upgraded.app.close();
      }
    } finally {
      await rm(release, { recursive: true, force: true });
    }
  });

  it('cannot execute a proposal whose regression suite fails, and refuses one that does not parse or comes from a customer tenant', async () => {
    const { ana, bo, cy, dee, call } = await people(server.api);
    const before = server.api.app.platform.engine.revision;
    const files = shippedFiles();
    const guardrails = files['guardrails.cedar']!;
    // Drop tenant isolation: the suite's cross-tenant cases fail.
    files['guardrails.cedar'] = guardrails.replace(/@id\("tenant-isolation"\)[\s\S]*?;\n/, '');
    expect(files['guardrails.cedar']).not.toContain('tenant-isolation');
    const run = (await call(ana, 'POST', '/v1/workflows/types/policy-change/runs', { rationale: CHANGE, params: { files } })).json();
    expect(run.status).toBe('preflight-failed');
    const failed = run.steps.find((s: { step: string; phase: string }) => s.step === 'preflight' && s.phase === 'failed').output;
    expect(failed.error).toMatch(/regression cases fail on the proposal; it cannot be executed/);
    expect(failed.transcript.some((line: string) => line.includes('regression FAIL'))).toBe(true);
    expect((await call(bo, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: CHANGE })).statusCode).toBe(409);
    expect((await call(cy, 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).statusCode).toBe(409);
    expect((await call(dee, 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).statusCode).toBe(409);
    expect(server.api.app.platform.engine.revision).toBe(before);

    const broken = await call(ana, 'POST', '/v1/workflows/types/policy-change/runs', { rationale: CHANGE, params: { files: { 'roles.cedar': 'permit (principal, action, resource' } } });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe('WORKFLOW_PARAMS_INVALID');
    const badName = await call(ana, 'POST', '/v1/workflows/types/policy-change/runs', { rationale: CHANGE, params: { files: { '../roles.cedar': '' } } });
    expect(badName.json().code).toBe('WORKFLOW_PARAMS_INVALID');

    const customer = await server.api.principal('eve', 'acme', 'operator');
    const fromCustomer = await call(customer, 'POST', '/v1/workflows/types/policy-change/runs', { rationale: CHANGE, params: { files: shippedFiles() } });
    expect(fromCustomer.statusCode).toBe(403);
    expect(fromCustomer.json().code).toBe('WORKFLOW_PLATFORM_ONLY');
  });
});
