import { timeOrderedId } from '../../kernel/ids/index.ts';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../kernel/errors/index.ts';
import type { PlatformEvent } from '../ingest/index.ts';
import type { StateStore, StateTransaction } from '../../kernel/state/index.ts';
import { CoalescedRun, KeyedMutex, type LedgerStore } from '../governance/index.ts';
import { approvalLatencies, percentile, SlaBreachReporter, slaBreaches, type SlaBreach } from './approval-sla.ts';
import { assertCounts, checkApprovalRule, outstanding, ruleSatisfied, type ApprovalRule, type CountedApproval } from './approval-rule.ts';
import { approvalRef, runEvidence, stepRefs } from './run-evidence.ts';
import { LATEST_TRANSITIONS, listRuns, loadRun, nextSeq, runStatuses, statusOf, type ApprovalRecord, type RunFilter, type RunRecord, type TransitionRecord } from './run-records.ts';
import { RunMetering } from './run-metering.ts';
import { runStep, StepFailed } from './step-runner.ts';
import { appendTransitionReceipt, appendTransitionReceiptsIn, transitionReceiptId } from './transition-receipt.ts';
import { STEP_NAMES, SYSTEM_CLOCK, type RunStatus, type WorkflowClock, type WorkflowType } from './workflow-type.ts';

/** Expired grants a sweep revokes at once. */
const REVOCATIONS_AT_ONCE = 8;

/** Who the engine's own transitions (expiry, preflight outcomes, revocations at expiry, executions on approval) are by. */
const ENGINE_ACTOR = 'workflow-engine';

/** How often a transition that lost a race is tried again on fresh state. */
const RACE_ATTEMPTS = 8;


/** A CloudEvent the engine meters with, in the run's tenant (see `meter`). */
/** What the engine records of each transition (metering). */
export type WorkflowEvent = PlatformEvent;

export interface WorkflowEngineOptions {
  state: StateStore;
  ledger: LedgerStore;
  types: readonly WorkflowType<unknown>[];
  clock?: WorkflowClock;
  /** The platform operator's tenant: the only one that may request types of `scope: 'platform'`. */
  platformTenant?: string;
  /**
   * Where the engine's metering events go (the ingest pipeline): each transition once, its
   * receipt id as the event id, so one sent again after a crash is deduplicated. A failure to
   * send is reported to `log`, never to the caller: the transition and its receipt stand.
   */
  emit?: (tenant: string, events: WorkflowEvent[]) => Promise<void>;
  /**
   * Where the transitions' metering events go instead, when given: queued for a batch written off
   * the request path (`BatchedEmitter`). What a kill loses of them, `meterSince` sends again at start.
   */
  emitLater?: (events: WorkflowEvent[]) => void;
  log?: { error(fields: object, message: string): void };
}

export interface RunRequest {
  tenant: string;
  type: string;
  requestedBy: string;
  rationale: { category: string; text: string };
  params: unknown;
}

export interface ApprovalDecision {
  tenant: string;
  runId: string;
  approver: string;
  /** The approver's roles as their credential states them now. */
  roles: readonly string[];
  decision: 'approve' | 'deny';
  rationale: { category: string; text: string };
}

/** A run as callers see it: its record plus where it stands. */
export interface RunView extends RunRecord {
  status: RunStatus;
  /** Approvers each group still needs (empty once decided). */
  outstanding: Record<string, number>;
}

/**
 * Governed workflows, durable on the state store: a run is requested (with a rationale),
 * preflighted, approved by the type's rule, executed, verified and — when execution or
 * verification fails — rolled back. Each transition is a row whose unique (run, seq) admits one
 * writer, so two approvers or two executors racing get one winner; each transition is a signed
 * receipt in the tenant's ledger. After a crash, `resume()` finishes what was under way: steps
 * that completed are never run again.
 */
export class WorkflowEngine {
  private readonly state: StateStore;
  private readonly ledger: LedgerStore;
  private readonly clock: WorkflowClock;
  private readonly platformTenant?: string;
  private readonly types: ReadonlyMap<string, WorkflowType<unknown>>;
  private readonly emit?: WorkflowEngineOptions['emit'];
  private readonly metering?: RunMetering;
  private readonly log: NonNullable<WorkflowEngineOptions['log']>;
  private readonly slaReporter: SlaBreachReporter;
  /** One sweep at a time in this process (the timer, a demo seed and a resume call it), each caller answered by one that started after it asked. */
  private readonly expiring = new CoalescedRun(() => this.expireLeasesNow());
  private readonly revocations = new KeyedMutex();

  constructor(options: WorkflowEngineOptions) {
    this.emit = options.emit;
    this.log = options.log ?? { error: (fields, message) => console.error(message, fields) };
    this.state = options.state;
    this.ledger = options.ledger;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.platformTenant = options.platformTenant;
    this.types = new Map(options.types.map((type) => [type.name, type]));
    const { emit, emitLater } = options;
    const send = emitLater ? (_tenant: string, events: WorkflowEvent[]) => emitLater(events) : emit;
    if (send) this.metering = new RunMetering({ state: this.state, ledger: this.ledger, packOf: (type) => this.types.get(type)?.pack, send, log: this.log });
    this.slaReporter = new SlaBreachReporter({ breaches: () => this.slaBreaches(), types: this.types, emit: this.emit, log: this.log });
    if (this.types.size !== options.types.length) throw new Error('two workflow types share a name');
    for (const type of options.types) checkApprovalRule(type.approval);
  }

  typeNamed(name: string): WorkflowType<unknown> {
    const type = this.types.get(name);
    if (!type) throw new DomainError('WORKFLOW_TYPE_UNKNOWN', `"${name}" is not one of ${[...this.types.keys()].join(', ') || 'the (no) registered types'}.`);
    return type;
  }

  /**
   * A governed action attempted outside a workflow (a direct API call, the CLI's local mode):
   * recorded as a `companyos.policy.violation` event in the caller's tenant — what the leadership
   * page counts as side-door attempts — and answered with the error to throw, which names the
   * workflow to request instead.
   */
  async refuseOutsideWorkflow(attempt: { tenant: string; principal: string; action: string; type: string; channel: string }): Promise<DomainError> {
    const type = this.typeNamed(attempt.type);
    const event: WorkflowEvent = {
      specversion: '1.0', id: randomUUID(), source: '/companyos/workflows/side-door', type: 'companyos.policy.violation', time: this.clock.now().toISOString(),
      subject: attempt.action, tenantid: attempt.tenant,
      data: { principal: attempt.principal, action: attempt.action, governed_by: type.name, channel: attempt.channel, decision: 'deny', reasons: ['governed-by-workflow'] },
    };
    try {
      await this.emit?.(attempt.tenant, [event]);
    } catch (error) {
      this.log.error({ err: error, action: attempt.action, principal: attempt.principal }, 'could not record the side-door attempt');
    }
    return new DomainError('WORKFLOW_REQUIRED',
      `${attempt.action} runs only as a governed ${type.name} run: request one (\`companyos workflow request ${type.name}\`, or the API's requestWorkflowRun), have it approved, then execute it.`,
    );
  }

  /** The types this engine runs, as their users read them. */
  typeList() {
    return [...this.types.values()].sort((a, b) => a.name.localeCompare(b.name)).map((type) => ({
      name: type.name,
      pack: type.pack,
      description: type.description,
      approval: type.approval,
      scope: type.scope ?? 'tenant',
      separate_duties: type.separateDuties,
      rationale: { categories: [...type.rationale.categories], min_length: type.rationale.minLength },
      approval_expiry_seconds: Math.round(type.approvalExpiryMs / 1000),
      approval_sla_seconds: Math.round(type.approvalSlaMs / 1000),
      steps: STEP_NAMES.filter((step) => type.steps[step]),
    }));
  }

  /** Records the request, runs its preflight and leaves it awaiting approval (or failed preflight). */
  async request(request: RunRequest): Promise<RunView> {
    const type = this.typeNamed(request.type);
    if (type.scope === 'platform' && request.tenant !== this.platformTenant) {
      throw new DomainError('WORKFLOW_PLATFORM_ONLY', `${type.name} changes the platform; ${request.tenant} is not its operator's tenant.`);
    }
    const params = type.parseParams(request.params);
    checkRationale(type, request.rationale);
    const runId = timeOrderedId();
    const at = this.clock.now();
    const requested: TransitionRecord = { seq: 0, status: 'requested', actor: request.requestedBy, at, detail: { event: 'requested' }, receiptId: transitionReceiptId(runId, 0) };
    const run: RunRecord = {
      tenant: request.tenant, runId, type: type.name, requestedBy: request.requestedBy, requestedAt: at,
      rationaleCategory: request.rationale.category, rationale: request.rationale.text.trim(),
      // As a read would give it back.
      params: JSON.parse(JSON.stringify(params ?? null)) as unknown,
      approvalExpiresAt: new Date(at.getTime() + type.approvalExpiryMs), transitions: [requested], approvals: [], steps: [],
    };
    // A type without a preflight awaits approval from the start: both transitions in one commit.
    const passed: TransitionRecord | undefined = type.steps.preflight ? undefined : {
      seq: 1, status: 'awaiting-approval', actor: ENGINE_ACTOR, at, detail: { event: 'preflight-passed', evidence: [] }, receiptId: transitionReceiptId(runId, 1),
    };
    await this.state.transaction(async (tx) => {
      await tx.insert('workflow_runs', [{
        tenant_id: run.tenant, run_id: runId, workflow_type: type.name, requested_by: run.requestedBy, requested_at: at,
        rationale_category: run.rationaleCategory, rationale: run.rationale, params: JSON.stringify(run.params),
        approval_expires_at: run.approvalExpiresAt,
      }]);
      await insertTransition(tx, run.tenant, runId, requested);
      if (passed) await insertTransition(tx, run.tenant, runId, passed);
      await appendTransitionReceiptsIn(tx, this.ledger, run, passed ? [requested, passed] : [requested]);
    });
    if (passed) {
      const ready = { ...run, transitions: [requested, passed] };
      await Promise.all([this.settle(ready, requested), this.settle(ready, passed)]);
      return this.view(ready);
    }
    // The preflight and the next transition need only the committed run: its receipt and event go meanwhile (appended first, so in order).
    const [, view] = await Promise.all([this.settle(run, requested), this.afterRequest(run)]);
    return view;
  }

  /** An approver's decision. The approval that satisfies the rule approves the run; one denial denies it. */
  async decide(decision: ApprovalDecision): Promise<RunView> {
    const decided = await this.transition(decision.tenant, decision.runId, async (run, type) => {
      const status = statusOf(run);
      if (status !== 'awaiting-approval') throw new DomainError('WORKFLOW_STATE_INVALID', `Run ${run.runId} is ${status}, not awaiting approval.`);
      const now = this.clock.now();
      if (now > run.approvalExpiresAt) return { status: 'expired', actor: ENGINE_ACTOR, detail: { event: 'expired' } };
      if (type.separateDuties && decision.approver === run.requestedBy) {
        throw new DomainError('WORKFLOW_SEPARATION_OF_DUTIES', `${decision.approver} requested run ${run.runId} and cannot decide on it.`);
      }
      if (type.separateDuties && type.beneficiaries?.(run.params, run.tenant).includes(decision.approver)) {
        throw new DomainError('WORKFLOW_SEPARATION_OF_DUTIES', `Run ${run.runId} is for ${decision.approver}, who cannot decide on it.`);
      }
      if (run.approvals.some((a) => a.approver === decision.approver)) {
        throw new DomainError('WORKFLOW_ALREADY_DECIDED', `${decision.approver} has already decided on run ${run.runId}.`);
      }
      checkRationale(type, decision.rationale);
      const counted = approvalsCounted(run);
      const next = { approver: decision.approver, roles: [...decision.roles] };
      const rule = ruleOf(type, run);
      if (decision.decision === 'approve') assertCounts(rule, counted, next);
      const approvers = [...counted, next].map((a) => a.approver);
      const record = {
        approver: decision.approver, roles: [...decision.roles], decision: decision.decision,
        rationaleCategory: decision.rationale.category, rationale: decision.rationale.text.trim(), at: now,
      };
      return {
        status: decision.decision === 'deny' ? 'denied' : ruleSatisfied(rule, [...counted, next]) ? 'approved' : 'awaiting-approval',
        actor: decision.approver,
        detail: {
          event: decision.decision === 'deny' ? 'denied' : 'approval', approvers: decision.decision === 'deny' ? [] : approvers,
          rationale_category: decision.rationale.category, evidence: [approvalRef(record)],
        },
        approval: record,
        also: (tx) => tx.insert('workflow_approvals', [{
          tenant_id: run.tenant, run_id: run.runId, approver: decision.approver, roles: JSON.stringify(decision.roles), requested_by: run.requestedBy,
          separate_duties: type.separateDuties ? 1 : 0, decision: decision.decision, rationale_category: decision.rationale.category,
          rationale: decision.rationale.text.trim(), decided_at: now,
        }]),
      };
    });
    return decided.status === 'approved' && this.types.get(decided.type)?.executeOnApproval ? this.executeApproved(decided) : decided;
  }

  /** A run whose type is carried out on approval: executed by the engine; when another caller got there first, as that left it. */
  private async executeApproved(run: RunView): Promise<RunView> {
    try {
      return await this.execute(run.tenant, run.runId, ENGINE_ACTOR);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'WORKFLOW_STATE_INVALID') return this.get(run.tenant, run.runId);
      throw error;
    }
  }

  /** Cancels a run not yet executing; an `active` grant is revoked at once. */
  async cancel(tenant: string, runId: string, actor: string): Promise<RunView> {
    const seen = await this.transition(tenant, runId, async (current) => {
      const status = statusOf(current);
      // Active already, or an executor made it so while this cancel raced it: revoked below.
      if (status === 'active') return undefined;
      if (!['requested', 'awaiting-approval', 'approved'].includes(status)) throw new DomainError('WORKFLOW_STATE_INVALID', `Run ${runId} is ${status}; only a run not yet executing (or an active grant) can be cancelled.`);
      return { status: 'cancelled', actor, detail: { event: 'cancelled' } };
    });
    return seen.status === 'active' ? this.revoke(seen, actor, 'cancelled') : seen;
  }

  /**
   * Revokes every active grant whose time is up, on the engine's clock: each one's revoke step
   * runs (durably: a revocation interrupted is finished by the next call) and the run ends
   * `revoked`. The server calls it on a timer; access itself ends at `expires_at` whatever the timer does.
   */
  expireLeases(): Promise<string[]> {
    return this.expiring.run();
  }

  private async expireLeasesNow(): Promise<string[]> {
    const now = this.clock.now();
    const rows = await this.state.query<{ tenant_id: string; run_id: string; detail: string }>(
      `SELECT tenant_id, run_id, detail FROM (${LATEST_TRANSITIONS}) latest WHERE status = 'active'`,
    );
    const due = rows.filter((row) => new Date(String((JSON.parse(String(row.detail)) as { expires_at?: string }).expires_at)) <= now);
    const revoked = new Set<string>();
    const expireOne = async (row: (typeof due)[number]) => {
      const run = await loadRun(this.state, row.tenant_id, row.run_id);
      if (!run || statusOf(run) !== 'active' || !this.types.has(run.type)) return;
      try {
        await this.revoke(run, ENGINE_ACTOR, 'expired');
      } catch (error) {
        // Another process is revoking it at this moment: its revocation stands (or the next sweep finishes it).
        if (error instanceof DomainError && error.code === 'STATE_CONFLICT') return;
        throw error;
      }
      revoked.add(run.runId);
    };
    // Several at once: a revocation is a few commits in a row, and the state store commits concurrent transactions
    // together (23 grants of the demo week, one after another: ~2 s). The first failure stops the sweep.
    const pending = [...due];
    const sweeper = async () => {
      for (let row = pending.shift(); row; row = pending.shift()) {
        await expireOne(row).catch((error: unknown) => {
          pending.length = 0;
          throw error;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(REVOCATIONS_AT_ONCE, pending.length) }, sweeper));
    return due.map((row) => row.run_id).filter((runId) => revoked.has(runId));
  }

  /** Revokes an active grant; in this process one revocation of a run at a time (a cancel and the sweep may meet). */
  private async revoke(run: RunRecord, actor: string, reason: 'expired' | 'cancelled'): Promise<RunView> {
    const release = await this.revocations.acquire([run.runId]);
    try {
      // As it is now: the one before in turn may have revoked it.
      const current = (await loadRun(this.state, run.tenant, run.runId)) ?? run;
      if (statusOf(current) !== 'active') return this.view(current);
      return await this.revokeInTurn(current, actor, reason);
    } finally {
      release();
    }
  }

  private async revokeInTurn(run: RunRecord, actor: string, reason: 'expired' | 'cancelled'): Promise<RunView> {
    const type = this.typeNamed(run.type);
    const detail: Record<string, unknown> = { event: 'revoked', reason };
    try {
      detail.revocation = await runStep(this.stepDeps(run, type), 'revoke', ENGINE_ACTOR);
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      // Stays active: the next sweep tries again, and access ends at expires_at regardless.
      throw new DomainError('WORKFLOW_STATE_INVALID', `Run ${run.runId}'s grant could not be revoked yet: ${error.message}`);
    }
    return this.transition(run.tenant, run.runId, async (current) =>
      statusOf(current) === 'active' ? { status: 'revoked', actor, detail: { ...detail, evidence: stepRefs(current) } } : undefined, run);
  }

  /**
   * Executes an approved run: the transition to `executing` consumes the approval (one executor
   * wins), then execute, verify and — when either fails — rollback run as durable steps.
   */
  async execute(tenant: string, runId: string, executor: string): Promise<RunView> {
    const executing = await this.transition(tenant, runId, async (run, type) => {
      const status = statusOf(run);
      if (status !== 'approved') throw new DomainError('WORKFLOW_STATE_INVALID', `Run ${runId} is ${status}; only an approved run can be executed.`);
      if (this.clock.now() > run.approvalExpiresAt) return { status: 'expired', actor: ENGINE_ACTOR, detail: { event: 'expired' } };
      if (type.separateDuties && (executor === run.requestedBy || run.approvals.some((a) => a.approver === executor) || type.beneficiaries?.(run.params, run.tenant).includes(executor))) {
        throw new DomainError('WORKFLOW_SEPARATION_OF_DUTIES', `${executor} requested, approved or benefits from run ${runId} and cannot execute it.`);
      }
      return { status: 'executing', actor: executor, detail: { event: 'executing', executor, approvers: approvalsCounted(run).map((a) => a.approver) } };
    });
    return this.carryOut(executing);
  }

  async get(tenant: string, runId: string): Promise<RunView> {
    const run = await loadRun(this.state, tenant, runId);
    if (!run) throw new DomainError('WORKFLOW_NOT_FOUND', `No run ${runId} in ${tenant}.`);
    return this.view(run);
  }

  /** Where each of the tenant's runs `runIds` stands (its last transition), in one read; another tenant's ids are absent. */
  statuses(tenant: string, runIds: readonly string[]): Promise<Map<string, RunStatus>> {
    return runStatuses(this.state, tenant, runIds);
  }

  /** The tenant's runs, newest first; `status` filters on where they stand. */
  async list(tenant: string, filter: RunFilter = {}): Promise<RunView[]> {
    return (await listRuns(this.state, tenant, filter)).map((run) => this.view(run));
  }

  /** The run's evidence (approvals, step outputs and transcripts, with their bytes) and the ledger entries of its transitions. */
  async evidence(tenant: string, runId: string) {
    const run = await this.get(tenant, runId);
    return { items: runEvidence(run), entries: await this.ledger.entries(tenant, run.transitions.map((t) => t.receiptId)) };
  }

  /** Runs of every tenant waiting for approval longer than their type's SLA (operators' alerting). */
  slaBreaches(): Promise<SlaBreach[]> {
    return slaBreaches(this.state, this.types, this.clock.now());
  }

  /**
   * Runs past their approval SLA, each reported once as `<pack>.approval_sla_breached` in its
   * tenant (`SlaBreachReporter`); answers how many are overdue per type (every type, zero included)
   * for the `companyos_workflow_approvals_overdue` gauge the alert reads.
   */
  reportSlaBreaches(): Promise<Map<string, number>> {
    return this.slaReporter.report();
  }

  /** How long the tenant's runs approved in the last `windowMs` waited for approval: count, p50 and p95 in ms, from the runs themselves. */
  async approvalLatency(tenant: string, windowMs: number): Promise<{ count: number; p50?: number; p95?: number }> {
    const latencies = await approvalLatencies(this.state, tenant, new Date(this.clock.now().getTime() - windowMs));
    return { count: latencies.length, p50: percentile(latencies, 50), p95: percentile(latencies, 95) };
  }

  /**
   * After a restart: every receipt a transition is owed is appended, and every run that was
   * being preflighted or executed is carried on from its last completed step.
   */
  async resume(): Promise<{ resumed: string[]; failed: { runId: string; error: string }[]; unknownType: string[] }> {
    const rows = await this.state.query<{ tenant_id: string; run_id: string; status: RunStatus; workflow_type: string }>(
      `SELECT t.tenant_id, t.run_id, t.status, r.workflow_type FROM workflow_transitions t
         JOIN (SELECT tenant_id, run_id, max(seq) AS seq FROM workflow_transitions GROUP BY tenant_id, run_id) last
           ON last.tenant_id = t.tenant_id AND last.run_id = t.run_id AND last.seq = t.seq
         JOIN workflow_runs r ON r.tenant_id = t.tenant_id AND r.run_id = t.run_id
        ORDER BY t.tenant_id, t.run_id`,
    );
    const outcome = { resumed: [] as string[], failed: [] as { runId: string; error: string }[], unknownType: [] as string[] };
    for (const row of rows) {
      // A run of a type no pack of this process declares waits for one that does.
      if (!this.types.has(row.workflow_type)) {
        outcome.unknownType.push(row.run_id);
        continue;
      }
      try {
        await this.receiptsFor(row.tenant_id, row.run_id);
        const executesItself = row.status === 'approved' && this.types.get(row.workflow_type)!.executeOnApproval;
        if (row.status !== 'requested' && row.status !== 'executing' && !executesItself) continue;
        const run = (await loadRun(this.state, row.tenant_id, row.run_id))!;
        if (row.status === 'requested') await this.afterRequest(run);
        else if (executesItself) await this.executeApproved(this.view(run));
        else await this.carryOut(run, 'resume');
        outcome.resumed.push(row.run_id);
      } catch (error) {
        outcome.failed.push({ runId: row.run_id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    try {
      outcome.resumed.push(...(await this.expireLeases()));
    } catch (error) {
      this.log.error({ err: error }, 'could not revoke the grants that expired while the process was down; the next sweep tries again');
    }
    return outcome;
  }

  /** Runs the preflight of a run just requested (`run` as stored) and leaves it awaiting approval, or failed. */
  private async afterRequest(run: RunRecord): Promise<RunView> {
    const type = this.typeNamed(run.type);
    let outcome: { status: RunStatus; detail: Record<string, unknown> } = { status: 'awaiting-approval', detail: { event: 'preflight-passed' } };
    if (type.steps.preflight) {
      try {
        const output = await runStep(this.stepDeps(run, type), 'preflight', run.requestedBy);
        outcome = { status: 'awaiting-approval', detail: { event: 'preflight-passed', preflight: output } };
      } catch (error) {
        if (!(error instanceof StepFailed)) throw error;
        outcome = { status: 'preflight-failed', detail: { event: 'preflight-failed', error: error.message } };
      }
    }
    return this.transition(run.tenant, run.runId, async (current) =>
      statusOf(current) === 'requested' ? { ...outcome, actor: ENGINE_ACTOR, detail: { ...outcome.detail, evidence: stepRefs(current) } } : undefined, run);
  }

  /** Execute, verify, and rollback on failure; each step durable, the outcome a transition. */
  private async carryOut(run: RunRecord, runner: 'api' | 'resume' = 'api'): Promise<RunView> {
    const type = this.typeNamed(run.type);
    const executor = String(run.transitions.find((t) => t.status === 'executing')!.detail.executor);
    const deps = this.stepDeps(run, type);
    let outcome: { status: RunStatus; detail: Record<string, unknown> };
    try {
      const executed = await runStep(deps, 'execute', executor);
      if (type.steps.verify) await runStep(deps, 'verify', executor);
      outcome = type.steps.revoke
        ? { status: 'active', detail: { event: 'active', expires_at: String((executed as { expires_at?: unknown } | null)?.expires_at) } }
        : { status: 'succeeded', detail: { event: 'succeeded' } };
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      if (!type.steps.rollback) {
        outcome = { status: 'failed', detail: { event: 'failed', step: error.step, error: error.message } };
      } else {
        try {
          await runStep(deps, 'rollback', executor);
          outcome = { status: 'rolled-back', detail: { event: 'rolled-back', step: error.step, error: error.message } };
        } catch (rollbackError) {
          if (!(rollbackError instanceof StepFailed)) throw rollbackError;
          outcome = { status: 'failed', detail: { event: 'failed', step: error.step, error: error.message, rollback_error: rollbackError.message } };
        }
      }
    }
    return this.transition(run.tenant, run.runId, async (current) =>
      statusOf(current) === 'executing' ? { ...outcome, actor: executor, detail: { ...outcome.detail, runner, evidence: stepRefs(current) } } : undefined, run);
  }

  private stepDeps(run: RunRecord, type: WorkflowType<unknown>) {
    return { state: this.state, clock: this.clock, run, type };
  }

  /**
   * Appends the transition `decide` asks for at the run's next seq, with what it writes beside
   * it, in one transaction; a lost race re-reads the run and decides again. `decide` answering
   * undefined means there is nothing to do (another process got there).
   */
  private async transition(
    tenant: string,
    runId: string,
    decide: (run: RunRecord, type: WorkflowType<unknown>) => Promise<PlannedTransition | undefined>,
    /** The run as this process just wrote it, to decide on without reading it again; a lost race reads it. */
    known?: RunRecord,
  ): Promise<RunView> {
    for (let attempt = 1; ; attempt++) {
      const run = attempt === 1 && known ? known : await loadRun(this.state, tenant, runId);
      if (!run) throw new DomainError('WORKFLOW_NOT_FOUND', `No run ${runId} in ${tenant}.`);
      const planned = await decide(run, this.typeNamed(run.type));
      if (!planned) return this.view(run);
      const transition: TransitionRecord = {
        seq: nextSeq(run), status: planned.status, actor: planned.actor, at: this.clock.now(), detail: planned.detail, receiptId: transitionReceiptId(runId, nextSeq(run)),
      };
      try {
        await this.state.transaction(async (tx) => {
          await planned.also?.(tx);
          await insertTransition(tx, tenant, runId, transition);
          await appendTransitionReceiptsIn(tx, this.ledger, run, [transition]);
        });
      } catch (error) {
        if (error instanceof DomainError && error.code === 'STATE_CONFLICT' && attempt < RACE_ATTEMPTS) continue;
        if (error instanceof DomainError && error.code === 'STATE_CHECK_FAILED') {
          throw new DomainError('WORKFLOW_SEPARATION_OF_DUTIES', `The store refused it: ${error.message}`);
        }
        throw error;
      }
      const after: RunRecord = { ...run, transitions: [...run.transitions, transition], approvals: planned.approval ? [...run.approvals, planned.approval] : run.approvals };
      await this.settle(after, transition);
      if (planned.status === 'expired') throw new DomainError('WORKFLOW_APPROVAL_EXPIRED', `Run ${runId}'s approval window closed at ${run.approvalExpiresAt.toISOString()}.`);
      return this.view(after);
    }
  }

  /** A committed transition's metering events (its receipt committed with it). */
  private settle(run: RunRecord, transition: TransitionRecord): Promise<void> {
    return this.metering?.meter(run, transition) ?? Promise.resolve();
  }

  /** Meters again the transitions committed in [`since`, `until`) (`RunMetering.meterSince`); 0 when nothing meters. */
  meterSince(since: Date, until: Date, signal?: AbortSignal): Promise<number> {
    return this.metering?.meterSince(since, until, signal) ?? Promise.resolve(0);
  }

  /** Whether `meterSince(since, until)` has anything to meter. */
  async meters(since: Date, until: Date): Promise<boolean> {
    return (await this.metering?.committedBetween(since, until)) ?? false;
  }

  /** Appends the receipts the ledger lacks of the run's transitions: those a version that receipted after the commit stored without one. */
  private async receiptsFor(tenant: string, runId: string): Promise<void> {
    const run = (await loadRun(this.state, tenant, runId))!;
    const held = new Set((await this.ledger.entries(tenant, run.transitions.map((t) => t.receiptId))).map((entry) => entry.receiptId));
    for (const transition of run.transitions) if (!held.has(transition.receiptId)) await appendTransitionReceipt(this.ledger, run, transition);
  }

  private view(run: RunRecord): RunView {
    const type = this.types.get(run.type);
    const status = statusOf(run);
    const left = type && status === 'awaiting-approval' ? outstanding(ruleOf(type, run), approvalsCounted(run)) : new Map<string, number>();
    return { ...run, status, outstanding: Object.fromEntries([...left].filter(([, n]) => n > 0)) };
  }
}

interface PlannedTransition {
  status: RunStatus;
  actor: string;
  detail: Record<string, unknown>;
  /** The approval it records, if any (written by `also`). */
  approval?: ApprovalRecord;
  /** Rows written in the same transaction. */
  also?: (tx: StateTransaction) => Promise<void>;
}

/** The approval rule of this run: its type's, or the one its type derives from its parameters. */
function ruleOf(type: WorkflowType<unknown>, run: RunRecord): ApprovalRule {
  return type.approvalFor ? checkApprovalRule(type.approvalFor(run.params)) : type.approval;
}

function approvalsCounted(run: RunRecord): CountedApproval[] {
  return run.approvals.filter((a) => a.decision === 'approve').map((a) => ({ approver: a.approver, roles: a.roles }));
}

function checkRationale(type: WorkflowType<unknown>, rationale: { category: string; text: string } | undefined): void {
  if (!rationale || !type.rationale.categories.includes(rationale.category)) {
    throw new DomainError('RATIONALE_INVALID', `The category must be one of ${type.rationale.categories.join(', ')}; got ${JSON.stringify(rationale?.category ?? null)}.`);
  }
  if (typeof rationale.text !== 'string' || rationale.text.trim().length < type.rationale.minLength || rationale.text.length > 2000) {
    throw new DomainError('RATIONALE_INVALID', `A ${type.name} run needs a reason of at least ${type.rationale.minLength} characters (at most 2000).`);
  }
}

async function insertTransition(tx: StateTransaction, tenant: string, runId: string, transition: TransitionRecord): Promise<void> {
  await tx.insert('workflow_transitions', [{
    tenant_id: tenant, run_id: runId, seq: transition.seq, status: transition.status, actor: transition.actor, occurred_at: transition.at,
    detail: JSON.stringify(transition.detail), receipt_id: transition.receiptId,
  }]);
}

export type { TransitionRecord };
