import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudEvent } from 'cloudevents';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring, LEDGER_KEY_NAME, verifyEnvelope } from '../../kernel/ledger/index.ts';
import { DuckDBStateStore, ensureStateSchema } from '../../kernel/state/index.ts';
import { LedgerStore } from '../governance/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { testWorkflow, type TestParams } from './testdata/test-workflow.ts';
import { TestClock } from '../../test/support/test-clock.ts';
import { WorkflowEngine, type WorkflowEvent } from './workflow-engine.ts';
import type { ApprovalRule } from './approval-rule.ts';

const REASON = { category: 'maintenance', text: 'rotate the staging certificate before it expires' };

describe('the workflow engine', () => {
  let dir: string;
  let journal: string;
  let state: DuckDBStateStore;
  let ledger: LedgerStore;
  let clock: TestClock;
  const keyring = Keyring.inMemory(LEDGER_KEY_NAME);
  const engineWith = (options: { approval?: ApprovalRule; separateDuties?: boolean } = {}) =>
    new WorkflowEngine({ state, ledger, clock, types: [testWorkflow({ journal, ...options })] });
  const journalLines = async () => (await readFile(journal, 'utf8')).split('\n').filter(Boolean);
  const request = (engine: WorkflowEngine, params: Record<string, unknown> = { target: 'staging-cert' }) =>
    engine.request({ tenant: 'acme', type: 'test-change', requestedBy: 'ana', rationale: REASON, params });
  const approve = (engine: WorkflowEngine, runId: string, approver: string, roles: string[] = ['approver']) =>
    engine.decide({ tenant: 'acme', runId, approver, roles, decision: 'approve', rationale: { category: 'maintenance', text: 'checked the preflight output: fine' } });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-workflows-'));
    journal = join(dir, 'journal.txt');
    await writeFile(journal, '');
    state = await DuckDBStateStore.open(join(dir, 'state.duckdb'), platformTables());
    await ensureStateSchema(state);
    ledger = new LedgerStore(state, keyring);
    clock = new TestClock();
  });
  afterEach(async () => {
    await ledger.close();
    await state.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('meters again the transitions of a span, each as the run stood at it and in its own tenant, as valid CloudEvents, and skips types no pack declares', async () => {
    const sent: WorkflowEvent[] = [];
    const engine = new WorkflowEngine({ state, ledger, clock, types: [testWorkflow({ journal })], emitLater: (events) => void sent.push(...events) });
    const before = clock.now();
    const run = await request(engine);
    const neighbour = await engine.request({ tenant: 'globex', type: 'test-change', requestedBy: 'gil', rationale: REASON, params: { target: 'x' } });
    await approve(engine, run.runId, 'bo');
    const live = sent.splice(0);
    expect(live.map((e) => e.type)).toContain('test.requests_total');
    // The run goes on after its approval: metered again, its approval outcome still reads as it stood then.
    clock.advance(1000);
    await engine.execute('acme', run.runId, 'cy');
    sent.splice(0);
    const after = new Date(clock.now().getTime() + 1);
    const approvedAt = new Date((await engine.get('acme', run.runId)).transitions.find((t) => t.status === 'approved')!.at);
    expect(await engine.meterSince(before, new Date(approvedAt.getTime() + 1))).toBe(live.filter((e) => e.type === 'companyos.workflow.transition').length);
    const byId = (events: WorkflowEvent[]) => events.map((e) => [e.id, e.tenantid, e.data]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(byId(sent)).toEqual(byId(live));
    // Each in the tenant of its run, never the other's.
    expect(new Set(sent.filter((e) => e.subject === neighbour.runId).map((e) => e.tenantid))).toEqual(new Set(['globex']));
    expect(new Set(sent.filter((e) => e.subject === run.runId).map((e) => e.tenantid))).toEqual(new Set(['acme']));
    // The official SDK checks each against the CloudEvents 1.0 attributes (it throws on an invalid one).
    for (const event of sent) expect(new CloudEvent({ ...event }, true).validate()).toBe(true);
    // Another process's engine declares none of these runs' types: it sends nothing it would have to make up.
    const other = new WorkflowEngine({ state, ledger, clock, types: [], emitLater: (events) => void sent.push(...events) });
    sent.splice(0);
    expect(await other.meterSince(before, after)).toBe(0);
    expect(sent).toEqual([]);
    // What a start's readers wait on: whether a span holds anything this process meters.
    expect(await engine.meters(before, after)).toBe(true);
    expect(await engine.meters(after, new Date(after.getTime() + 60_000))).toBe(false);
    expect(await other.meters(before, after)).toBe(false);
  });

  it('reads where many runs stand in one read, the tenant\'s only', async () => {
    const engine = engineWith();
    const [waiting, approved] = [await request(engine), await request(engine)];
    await approve(engine, approved.runId, 'bo');
    const other = await engine.request({ tenant: 'globex', type: 'test-change', requestedBy: 'gil', rationale: REASON, params: { target: 'x' } });
    expect(await engine.statuses('acme', [waiting.runId, approved.runId, other.runId, 'no-such-run'])).toEqual(new Map([[waiting.runId, 'awaiting-approval'], [approved.runId, 'approved']]));
    expect(await engine.statuses('acme', [])).toEqual(new Map());
  });

  it('carries out a type executed on approval as soon as the rule its parameters pick is met, and after a restart that came between', async () => {
    const base = testWorkflow({ journal });
    const strict: ApprovalRule = { combine: 'all', groups: [{ role: 'approver', count: 1 }, { role: 'security', count: 1 }] };
    const onApproval = (executeOnApproval: boolean) => new WorkflowEngine({
      state, ledger, clock, types: [{ ...base, executeOnApproval, approvalFor: (params: unknown) => ((params as TestParams).target === 'prod' ? strict : base.approval) }],
    });
    const engine = onApproval(true);
    const prod = await request(engine, { target: 'prod' });
    expect(prod.outstanding).toEqual({ approver: 1, security: 1 });
    expect((await approve(engine, prod.runId, 'bo')).status).toBe('awaiting-approval');
    const done = await approve(engine, prod.runId, 'cy', ['security']);
    expect(done.status).toBe('succeeded');
    expect(done.transitions.find((t) => t.status === 'executing')!.actor).toBe('workflow-engine');
    expect((await request(engine, { target: 'staging' })).outstanding).toEqual({ approver: 1 });

    // Approved by a process that stopped before executing it: the next one carries it out on start.
    const run = await request(engine, { target: 'prod' });
    await approve(onApproval(false), run.runId, 'bo');
    expect((await approve(onApproval(false), run.runId, 'cy', ['security'])).status).toBe('approved');
    const restarted = onApproval(true);
    expect((await restarted.resume()).resumed).toContain(run.runId);
    expect((await restarted.get('acme', run.runId)).status).toBe('succeeded');
  });

  it('runs request → preflight → approval → execute → verify, each transition a signed receipt in the tenant\'s ledger', async () => {
    const engine = engineWith();
    const requested = await request(engine);
    expect(requested.status).toBe('awaiting-approval');
    expect(requested.outstanding).toEqual({ approver: 1 });
    expect(requested.transitions.at(-1)!.detail.preflight).toEqual({ ok: true, target: 'staging-cert' });

    expect((await approve(engine, requested.runId, 'bo')).status).toBe('approved');
    const done = await engine.execute('acme', requested.runId, 'cy');
    expect(done.status).toBe('succeeded');
    expect(done.transitions.map((t) => t.status)).toEqual(['requested', 'awaiting-approval', 'approved', 'executing', 'succeeded']);
    expect(await journalLines()).toEqual([
      `preflight ${requested.runId}/preflight`, `execute-start ${requested.runId}/execute attempt 1`, `execute-done ${requested.runId}/execute`, `verify ${requested.runId}/verify`,
    ]);
    const transcript = done.steps.find((s) => s.step === 'execute' && s.phase === 'completed')!.output as { transcript: string[] };
    expect(transcript.transcript).toEqual(['2026-12-01T09:00:00.000Z changed staging-cert']);

    const entries = await ledger.entries('acme', done.transitions.map((t) => t.receiptId));
    expect(entries).toHaveLength(5);
    // Each verifies against the ledger's keys (verifyEnvelope throws on a bad signature).
    const statements = entries.map((entry) => JSON.parse(verifyEnvelope(JSON.parse(entry.entry), keyring.all()).toString()) as { predicate: { action: string; approvers: string[]; actor: string } });
    const executing = statements[3]!;
    expect(executing.predicate).toMatchObject({ action: 'workflow.test-change.executing', approvers: ['bo'], actor: 'cy' });
  });

  it('needs every group of an AND rule, and counts one person once however many roles they hold', async () => {
    const engine = engineWith({ approval: { combine: 'all', groups: [{ role: 'peer', count: 1 }, { role: 'security-lead', count: 1 }] } });
    const run = await request(engine);
    const afterBoth = await approve(engine, run.runId, 'bo', ['peer', 'security-lead']);
    expect(afterBoth.status).toBe('awaiting-approval');
    expect(afterBoth.outstanding).toEqual({ 'security-lead': 1 });
    await expect(approve(engine, run.runId, 'di', ['peer'])).rejects.toMatchObject({ code: 'WORKFLOW_APPROVER_NOT_ELIGIBLE' });
    expect((await approve(engine, run.runId, 'ed', ['security-lead'])).status).toBe('approved');
  });

  it('takes any one group of an OR rule', async () => {
    const engine = engineWith({ approval: { combine: 'any', groups: [{ role: 'manager', count: 1 }, { role: 'peer', count: 2 }] } });
    const run = await request(engine);
    expect((await approve(engine, run.runId, 'bo', ['peer'])).status).toBe('awaiting-approval');
    expect((await approve(engine, run.runId, 'di', ['peer'])).status).toBe('approved');
  });

  it('refuses self-approval, a second decision by one approver, and an executor who requested or approved — in code and in the store', async () => {
    const engine = engineWith({ approval: { combine: 'all', groups: [{ role: 'approver', count: 2 }] } });
    const run = await request(engine);
    await expect(approve(engine, run.runId, 'ana')).rejects.toMatchObject({ code: 'WORKFLOW_SEPARATION_OF_DUTIES' });
    await approve(engine, run.runId, 'bo');
    await expect(approve(engine, run.runId, 'bo')).rejects.toMatchObject({ code: 'WORKFLOW_ALREADY_DECIDED' });
    await approve(engine, run.runId, 'cy');
    await expect(engine.execute('acme', run.runId, 'ana')).rejects.toMatchObject({ code: 'WORKFLOW_SEPARATION_OF_DUTIES' });
    await expect(engine.execute('acme', run.runId, 'bo')).rejects.toMatchObject({ code: 'WORKFLOW_SEPARATION_OF_DUTIES' });
    expect((await engine.get('acme', run.runId)).status).toBe('approved');

    // A writer that skips the engine's checks meets the store's.
    const selfApproval = state.transaction((tx) => tx.insert('workflow_approvals', [{
      tenant_id: 'acme', run_id: run.runId, approver: 'ana', roles: '["approver"]', requested_by: 'ana', separate_duties: 1,
      decision: 'approve', rationale_category: 'maintenance', rationale: 'a side door', decided_at: new Date(),
    }]));
    await expect(selfApproval).rejects.toMatchObject({ code: 'STATE_CHECK_FAILED' });
    const selfExecution = state.transaction((tx) => tx.insert('workflow_steps', [{
      tenant_id: 'acme', run_id: run.runId, step: 'execute', phase: 'started', attempt: 1, executor: 'ana', requested_by: 'ana', separate_duties: 1, recorded_at: new Date(), output: null,
    }]));
    await expect(selfExecution).rejects.toMatchObject({ code: 'STATE_CHECK_FAILED' });
  });

  it('asks for a rationale from the taxonomy with a reason of the type\'s minimum length', async () => {
    const engine = engineWith();
    const ask = (rationale: { category: string; text: string }) => engine.request({ tenant: 'acme', type: 'test-change', requestedBy: 'ana', rationale, params: { target: 'x' } });
    await expect(ask({ category: 'maintenance', text: 'because' })).rejects.toMatchObject({ code: 'RATIONALE_INVALID' });
    await expect(ask({ category: 'whim', text: 'a long enough reason for the change' })).rejects.toMatchObject({ code: 'RATIONALE_INVALID' });
    await expect(engine.request({ tenant: 'acme', type: 'test-change', requestedBy: 'ana', rationale: REASON, params: {} })).rejects.toMatchObject({ code: 'WORKFLOW_PARAMS_INVALID' });
    await expect(engine.request({ tenant: 'acme', type: 'no-such', requestedBy: 'ana', rationale: REASON, params: {} })).rejects.toMatchObject({ code: 'WORKFLOW_TYPE_UNKNOWN' });
    expect(await state.query('SELECT * FROM workflow_runs')).toEqual([]);
  });

  it('expires a run whose approval window has passed, on the injected clock, and will not execute it', async () => {
    const engine = engineWith();
    const waiting = await request(engine);
    clock.advance(61 * 60 * 1000);
    await expect(approve(engine, waiting.runId, 'bo')).rejects.toMatchObject({ code: 'WORKFLOW_APPROVAL_EXPIRED' });
    expect((await engine.get('acme', waiting.runId)).status).toBe('expired');

    const approved = await request(engine);
    await approve(engine, approved.runId, 'bo');
    clock.advance(61 * 60 * 1000);
    await expect(engine.execute('acme', approved.runId, 'cy')).rejects.toMatchObject({ code: 'WORKFLOW_APPROVAL_EXPIRED' });
    expect(await journalLines()).not.toContainEqual(expect.stringContaining('execute-start'));
  });

  it('lets one of many racing approvals decide and one of many racing executors execute, once', async () => {
    const engine = engineWith({ approval: { combine: 'any', groups: [{ role: 'approver', count: 1 }] } });
    // Many rounds: a loser that read the winner's approval but not its transition (a torn read) would be refused as not eligible.
    for (let round = 0; round < 12; round++) {
      const raced = await request(engine);
      const outcomes = await Promise.allSettled(['bo', 'cy', 'di', 'ed', 'fy', 'gu'].map((who) => approve(engine, raced.runId, who)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'WORKFLOW_STATE_INVALID' });
    }
    const run = await request(engine);
    const approvals = await Promise.allSettled(['bo', 'cy', 'di', 'ed'].map((who) => approve(engine, run.runId, who)));
    expect(approvals.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const approver = (await engine.get('acme', run.runId)).approvals[0]!.approver;

    const executors = ['fy', 'gu', 'hal', 'ivy'].filter((who) => who !== approver);
    const executions = await Promise.allSettled(executors.map((who) => engine.execute('acme', run.runId, who)));
    expect(executions.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect((await journalLines()).filter((line) => line.startsWith('execute-done'))).toHaveLength(1);
    expect((await engine.get('acme', run.runId)).status).toBe('succeeded');
  });

  it('rolls back when execution fails, keeping the error and the rollback in the run', async () => {
    const engine = engineWith();
    const run = await request(engine, { target: 'prod-db', failExecute: true });
    await approve(engine, run.runId, 'bo');
    const done = await engine.execute('acme', run.runId, 'cy');
    expect(done.status).toBe('rolled-back');
    expect(done.transitions.at(-1)!.detail).toMatchObject({ event: 'rolled-back', step: 'execute', error: 'prod-db refused the change' });
    expect((await journalLines()).filter((line) => line.startsWith('rollback'))).toEqual([`rollback ${run.runId}/rollback`]);
  });

  it('lists runs waiting past their approval SLA and measures approval latency from the runs, on the injected clock', async () => {
    const engine = engineWith();
    const quick = await request(engine);
    clock.advance(2 * 60 * 1000);
    await approve(engine, quick.runId, 'bo');
    const slow = await request(engine);
    clock.advance(10 * 60 * 1000);
    expect(await engine.slaBreaches()).toEqual([]);
    clock.advance(6 * 60 * 1000);
    expect((await engine.slaBreaches()).map((b) => [b.runId, b.waitingMs])).toEqual([[slow.runId, 16 * 60 * 1000]]);
    await approve(engine, slow.runId, 'bo');
    expect(await engine.slaBreaches()).toEqual([]);
    expect(await engine.approvalLatency('acme', 60 * 60 * 1000)).toEqual({ count: 2, p50: 2 * 60 * 1000, p95: 16 * 60 * 1000 });
    expect(await engine.approvalLatency('globex', 60 * 60 * 1000)).toEqual({ count: 0, p50: undefined, p95: undefined });
  });

  it('reports each run past its approval SLA once, as an event of its tenant, and counts the overdue per type', async () => {
    const sent: { tenant: string; type: string; id: string; data: Record<string, unknown> }[] = [];
    const engine = new WorkflowEngine({
      state, ledger, clock, types: [testWorkflow({ journal })],
      emit: async (tenant, events) => {
        // The official SDK checks each against the CloudEvents 1.0 attributes (it throws on an invalid one).
        for (const event of events) expect(new CloudEvent({ ...event }, true).validate()).toBe(true);
        sent.push(...events.map((e) => ({ tenant, type: e.type, id: e.id, data: e.data as Record<string, unknown> })));
      },
    });
    const slow = await request(engine);
    clock.advance(14 * 60 * 1000);
    expect(await engine.reportSlaBreaches()).toEqual(new Map([['test-change', 0]]));
    clock.advance(2 * 60 * 1000);
    expect(await engine.reportSlaBreaches()).toEqual(new Map([['test-change', 1]]));
    expect(await engine.reportSlaBreaches()).toEqual(new Map([['test-change', 1]]));
    const breaches = sent.filter((e) => e.type === 'test.approval_sla_breached');
    expect(breaches).toEqual([{ tenant: 'acme', type: 'test.approval_sla_breached', id: `${slow.runId}:approval_sla_breached`, data: expect.objectContaining({ run_id: slow.runId, sla_ms: 15 * 60 * 1000 }) }]);
    await approve(engine, slow.runId, 'bo');
    expect(await engine.reportSlaBreaches()).toEqual(new Map([['test-change', 0]]));
  });

  it('leaves runs of a type this process does not declare to a process that does, instead of failing to start', async () => {
    const run = await request(engineWith());
    const without = new WorkflowEngine({ state, ledger, clock, types: [] });
    expect(await without.resume()).toEqual({ resumed: [], failed: [], unknownType: [run.runId] });
  });

  it('filters runs by where they stand before it counts them against the limit', async () => {
    const engine = engineWith();
    const cancelled = await request(engine);
    await engine.cancel('acme', cancelled.runId, 'acme/ana');
    clock.advance(1000);
    await request(engine);
    await request(engine);
    expect((await engine.list('acme', { status: 'cancelled', limit: 1 })).map((run) => run.runId)).toEqual([cancelled.runId]);
    expect(await engine.list('acme', { status: 'cancelled', type: 'other-type' })).toEqual([]);
    expect((await engine.list('acme', { status: 'awaiting-approval' }))).toHaveLength(2);
  });

  it('never shows one tenant\'s run to another', async () => {
    const engine = engineWith();
    const run = await request(engine);
    await expect(engine.get('globex', run.runId)).rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
    await expect(engine.decide({ tenant: 'globex', runId: run.runId, approver: 'bo', roles: ['approver'], decision: 'approve', rationale: REASON }))
      .rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
    expect(await engine.list('globex')).toEqual([]);
    expect((await engine.list('acme')).map((r) => r.runId)).toEqual([run.runId]);
  });
});
