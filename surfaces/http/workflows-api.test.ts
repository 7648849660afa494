import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_ENGINES, stateOptionsFor, useWarehouse } from '../../test/support/engines.ts';
import { apiHarness, type ApiHarness } from '../../test/support/api.ts';
import { createPlatform, type Platform } from '../compose/index.ts';
import { PACKS, type Pack } from '../../packs/index.ts';
import { testWorkflow } from '../../platform/workflows/testdata/test-workflow.ts';
import { verifyBundle } from '../../kernel/ledger/index.ts';

const REASON = { category: 'maintenance', text: 'rotate the staging certificate before it expires' };

describe.each(TEST_ENGINES)('governed workflows over HTTP on %s', (engine) => {
  const db = useWarehouse(engine);
  let dir: string;
  let platform: Platform;
  let api: ApiHarness;
  const tokens: Record<string, string> = {};
  const call = (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    api.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-wf-api-'));
    await writeFile(join(dir, 'journal.txt'), '');
    const testPack: Pack = { name: 'test', description: 'A workflow type for tests.', workflowTypes: () => [testWorkflow({ journal: join(dir, 'journal.txt') })] };
    platform = await createPlatform({ warehouse: db.warehouse, state: stateOptionsFor(db.warehouse), packs: [...PACKS, testPack], backupsDir: join(dir, 'backups') });
    api = await apiHarness(db.warehouse, { platform });
    tokens.ana = await api.principal('ana', 'acme', 'operator');
    tokens.bo = await api.principal('bo', 'acme', 'approver');
    tokens.cy = await api.principal('cy', 'acme', 'operator');
    tokens.reader = await api.principal('rae', 'acme', 'reader');
    tokens.globex = await api.principal('gil', 'globex', 'admin');
  });
  afterEach(async () => {
    await api.app.close();
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('requests, approves and executes a run, each call decided by Cedar and each transition receipted', async () => {
    const types = await call('reader', 'GET', '/v1/workflows/types');
    expect(types.json().types.map((t: { name: string }) => t.name)).toEqual(['dr-drill', 'erasure', 'identity-mapping-change', 'ledger-key-rotation', 'model-full-refresh', 'policy-change', 'revops-activation', 'revops-discount', 'revops-routing-policy', 'temporary-access', 'tenant-export', 'test-change', 'token-secret-rotation', 'webhook-secret-rotation']);

    const requested = await call('ana', 'POST', '/v1/workflows/types/test-change/runs', { rationale: REASON, params: { target: 'staging-cert' } });
    expect(requested.statusCode, requested.body).toBe(201);
    const run = requested.json();
    expect(run).toMatchObject({ status: 'awaiting-approval', requested_by: 'acme/ana', outstanding: { approver: 1 } });

    const approved = await call('bo', 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: { category: 'maintenance', text: 'checked the preflight output: fine' } });
    expect(approved.statusCode, approved.body).toBe(201);
    expect(approved.json().status).toBe('approved');

    const executed = await call('cy', 'POST', `/v1/workflows/runs/${run.run_id}/execute`);
    expect(executed.statusCode, executed.body).toBe(200);
    const done = executed.json();
    expect(done.status).toBe('succeeded');
    expect(done.transitions.map((t: { status: string }) => t.status)).toEqual(['requested', 'awaiting-approval', 'approved', 'executing', 'succeeded']);
    expect((await readFile(join(dir, 'journal.txt'), 'utf8')).match(/execute-done/g)).toHaveLength(1);

    for (const transition of done.transitions as { receipt_id: string }[]) {
      const receipt = await call('reader', 'GET', `/v1/provenance/receipts/${transition.receipt_id}`);
      expect(receipt.statusCode, transition.receipt_id).toBe(200);
    }
    // The engine meters each transition once, as an event of the run's tenant.
    const events = (await call('reader', 'GET', '/v1/events?type=companyos.workflow.transition&limit=100')).json().events as { id: string; data: { status: string; pack: string } }[];
    expect(events.map((e) => e.id).sort()).toEqual(done.transitions.map((t: { receipt_id: string }) => t.receipt_id).sort());
    expect(events.find((e) => e.data.status === 'succeeded')?.data.pack).toBe('test');
    // And once per run: the request's approval outcome, and the execution's.
    const requests = (await call('reader', 'GET', '/v1/events?type=test.requests_total&limit=100')).json().events;
    expect(requests.map((e: { data: object }) => e.data)).toEqual([expect.objectContaining({ run_id: run.run_id, operation: 'test-change', status: 'approved', approvers: 1, receipt_complete: true })]);
    expect(requests[0].data.approval_latency_ms).toBeGreaterThanOrEqual(0);
    const executions = (await call('reader', 'GET', '/v1/events?type=workflow.executions_total&limit=100')).json().events;
    expect(executions.map((e: { data: object }) => e.data)).toEqual([expect.objectContaining({ run_id: run.run_id, pack: 'test', status: 'succeeded', runner: 'api' })]);
    expect((await call('reader', 'GET', '/v1/quarantine')).json().items).toEqual([]);
    const listed = await call('reader', 'GET', '/v1/workflows/runs?status=succeeded');
    expect(listed.json().runs.map((r: { run_id: string }) => r.run_id)).toEqual([run.run_id]);
  });

  it('exports the run\'s evidence bundle, which verifies offline and catches a changed transcript', async () => {
    const run = (await call('ana', 'POST', '/v1/workflows/types/test-change/runs', { rationale: REASON, params: { target: 'prod-db', failExecute: true } })).json();
    await call('bo', 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: { category: 'maintenance', text: 'checked the preflight output: fine' } });
    expect((await call('cy', 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).json().status).toBe('rolled-back');

    const bundle = (await call('reader', 'GET', `/v1/workflows/runs/${run.run_id}/evidence`)).json();
    const keys = api.app.ledgerStore.keyring.all();
    expect(verifyBundle(bundle, keys).failures).toEqual([]);
    expect(bundle.entries).toHaveLength(5);
    const names = bundle.evidence.map((e: { id: string }) => e.id);
    expect(names).toEqual(['approval:acme/bo', 'step:preflight:1:completed', 'step:execute:1:failed', 'step:rollback:1:completed']);
    const rollback = JSON.parse(Buffer.from(bundle.evidence[3].content, 'base64').toString());
    expect(rollback.output.transcript).toEqual([expect.stringMatching(/restored prod-db$/)]);

    // A transcript rewritten, with its digest recomputed to match: the signed receipt still names the old one.
    const forged = structuredClone(bundle);
    const text = JSON.stringify({ ...rollback, output: { ...rollback.output, transcript: ['nothing happened'] } });
    forged.evidence[3].content = Buffer.from(text).toString('base64');
    forged.evidence[3].sha256 = createHash('sha256').update(text).digest('hex');
    const report = verifyBundle(forged, keys);
    expect(report.ok).toBe(false);
    expect(report.failures.join('\n')).toContain('step:rollback:1:completed');
  });

  it('runs a DR drill in the operator tenant: a backup restored into scratch (on ClickHouse a scratch database too), validated, models rebuilt', async () => {
    tokens.ops = await api.principal('ops', 'summit-internal', 'operator');
    tokens.sec = await api.principal('sec', 'summit-internal', 'approver');
    tokens.sre = await api.principal('sre', 'summit-internal', 'operator');
    const drill = { category: 'drill', text: 'quarterly restore drill of the production backup' };
    expect((await call('ops', 'POST', '/v1/workflows/types/dr-drill/runs', { rationale: drill, params: { models: 'no' } })).json().code).toBe('WORKFLOW_PARAMS_INVALID');
    const run = (await call('ops', 'POST', '/v1/workflows/types/dr-drill/runs', { rationale: drill, params: {} })).json();
    expect(run.status).toBe('awaiting-approval');
    await call('sec', 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: { category: 'drill', text: 'the drill window is agreed with the on-call team' } });
    expect((await call('sre', 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).json().status).toBe('succeeded');
    const bundle = (await call('ops', 'GET', `/v1/workflows/runs/${run.run_id}/evidence`)).json();
    expect(verifyBundle(bundle, api.app.ledgerStore.keyring.all()).failures).toEqual([]);
    const executed = bundle.evidence.find((e: { id: string }) => e.id === 'step:execute:1:completed');
    const outcome = JSON.parse(Buffer.from(executed.content, 'base64').toString()).output.result;
    expect(outcome).toMatchObject({ rtoMet: true, scratchDestroyed: true, rtoTargetSeconds: 300 });
    const transcript = JSON.parse(Buffer.from(executed.content, 'base64').toString()).output.transcript as string[];
    expect(transcript.join('\n')).toMatch(/\d+ models rebuilt from the restored data/);
    expect(outcome.ledgers['summit-internal'].size).toBeGreaterThanOrEqual(3);
    // The pack's sweep (every 15 s) reports the drill's age for the DrDrillStale alert.
    await expect.poll(async () => {
      const text = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(/^companyos_dr_last_drill_age_seconds (\S+)$/m.exec(text)?.[1]);
    }, { timeout: 30_000, interval: 500 }).toBeLessThan(120);
  });

  it('refuses what Cedar or the rules refuse: a reader requesting, self-approval, the requester executing, another tenant\'s run', async () => {
    expect((await call('reader', 'POST', '/v1/workflows/types/test-change/runs', { rationale: REASON, params: { target: 'x' } })).statusCode).toBe(403);
    const run = (await call('ana', 'POST', '/v1/workflows/types/test-change/runs', { rationale: REASON, params: { target: 'x' } })).json();
    const self = await call('ana', 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: { category: 'maintenance', text: 'I approve my own change, please' } });
    expect(self.statusCode).toBe(403);
    expect((await call('bo', 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: { category: 'maintenance', text: 'checked the preflight output: fine' } })).statusCode).toBe(201);
    const byRequester = await call('ana', 'POST', `/v1/workflows/runs/${run.run_id}/execute`);
    expect([byRequester.statusCode, byRequester.json().code]).toEqual([403, 'WORKFLOW_SEPARATION_OF_DUTIES']);
    expect((await call('globex', 'GET', `/v1/workflows/runs/${run.run_id}`)).statusCode).toBe(404);
    expect((await call('globex', 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).statusCode).toBe(404);
    expect((await call('globex', 'GET', '/v1/workflows/runs')).json().runs).toEqual([]);
  });

  it('answers bad input with a catalogued 4xx: short rationale, unknown type, bad params, unknown run', async () => {
    const short = await call('ana', 'POST', '/v1/workflows/types/test-change/runs', { rationale: { category: 'maintenance', text: 'because' }, params: { target: 'x' } });
    expect([short.statusCode, short.json().code]).toEqual([400, 'RATIONALE_INVALID']);
    const unknown = await call('ana', 'POST', '/v1/workflows/types/no-such/runs', { rationale: REASON, params: {} });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'WORKFLOW_TYPE_UNKNOWN']);
    const params = await call('ana', 'POST', '/v1/workflows/types/test-change/runs', { rationale: REASON, params: { target: '' } });
    expect([params.statusCode, params.json().code]).toEqual([400, 'WORKFLOW_PARAMS_INVALID']);
    const missing = await call('reader', 'GET', '/v1/workflows/runs/00000000-0000-0000-0000-000000000000');
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'WORKFLOW_NOT_FOUND']);
  });
});
