import type { ApprovalRule } from './approval-rule.ts';

export const STEP_NAMES = ['preflight', 'execute', 'verify', 'rollback', 'revoke'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** Where a run is; the last transition says. */
export type RunStatus =
  | 'requested' | 'preflight-failed' | 'awaiting-approval' | 'approved' | 'denied' | 'expired' | 'cancelled'
  | 'executing' | 'succeeded' | 'failed' | 'rolled-back' | 'active' | 'revoked';

export const FINAL_STATUSES: readonly RunStatus[] = ['preflight-failed', 'denied', 'expired', 'cancelled', 'succeeded', 'failed', 'rolled-back', 'revoked'];

/** What a step's code gets: the run's inputs, earlier steps' outputs, a transcript, and the engine's clock. */
export interface StepContext<P> {
  readonly tenant: string;
  readonly runId: string;
  readonly params: P;
  /** `<run>/<step>`: the same on every attempt, so an executor that talks to another system can make its call idempotent. */
  readonly idempotencyKey: string;
  readonly attempt: number;
  /** When the approval that allowed the execution was given (time-boxed grants count from it). */
  readonly approvedAt?: Date;
  /** The approvals given (who, holding which roles, with what rationale): what a receipt of the outcome names. */
  readonly approvals: readonly { readonly approver: string; readonly roles: readonly string[]; readonly rationaleCategory: string; readonly rationale: string }[];
  readonly outputs: Readonly<Partial<Record<StepName, unknown>>>;
  now(): Date;
  /** A line of the executor's transcript (kept with the step's output, in the run's evidence). */
  log(line: string): void;
}

export interface StepDefinition<P> {
  /** Does the step's work; what it returns (JSON) is its output. Throwing fails the step. */
  run(context: StepContext<P>): Promise<unknown>;
  /** When the process died during this step: run it again, or give up and roll back. */
  readonly onInterrupt: 'retry' | 'compensate';
}

/**
 * A kind of governed action: its parameters, who must approve it, the paperwork it needs and
 * the steps that carry it out — preflight before the approvals (its result is what approvers
 * see), then execute and verify, and rollback when either fails.
 */
export interface WorkflowType<P = unknown> {
  readonly name: string;
  /** The pack that declares it (metering and filters). */
  readonly pack: string;
  readonly description: string;
  /** The run's parameters, checked; throws `DomainError('WORKFLOW_PARAMS_INVALID')`. */
  parseParams(input: unknown): P;
  readonly approval: ApprovalRule;
  /**
   * The rule for a run of these parameters when it depends on them (a discount's band: a sales
   * lead, or finance AND the CEO); `approval` otherwise. Derived from the run's stored parameters,
   * so it is the same on every read.
   */
  approvalFor?(params: P): ApprovalRule;
  /** Carried out by the engine (actor `workflow-engine`) as soon as it is approved: an approval that is the whole act. */
  readonly executeOnApproval?: boolean;
  /** `platform`: it changes the platform itself, so only the platform operator's tenant may request it. */
  readonly scope?: 'tenant' | 'platform';
  /** Requester ≠ approver ≠ executor. */
  readonly separateDuties: boolean;
  /**
   * Principals (`<tenant>/<subject>`) besides the requester whom the run benefits — the grantee of
   * an access — and who therefore may neither approve nor execute it when duties are separated.
   */
  beneficiaries?(params: P, tenant: string): readonly string[];
  readonly rationale: { readonly categories: readonly string[]; readonly minLength: number };
  /** How long after the request approvals — and then the execution they allow — may come. */
  readonly approvalExpiryMs: number;
  /** How long an approval may take before the run counts as breaching its SLA. */
  readonly approvalSlaMs: number;
  readonly steps: {
    readonly preflight?: StepDefinition<P>;
    readonly execute: StepDefinition<P>;
    readonly verify?: StepDefinition<P>;
    readonly rollback?: StepDefinition<P>;
    /**
     * A type with `revoke` grants something for a time: once executed and verified the run is
     * `active` until the `expires_at` (ISO time) its execute step returned, then `revoke` runs
     * (`WorkflowEngine.expireLeases`, or a cancel before) and the run ends `revoked`.
     */
    readonly revoke?: StepDefinition<P>;
  };
}

/** The engine's sense of time: injectable, so expiry and SLAs are tested without sleeping. */
export interface WorkflowClock {
  now(): Date;
}

export const SYSTEM_CLOCK: WorkflowClock = { now: () => new Date() };

/**
 * The system's clock, which can be set to another time and keeps running from there: what
 * `companyos start` hands the platform so its demo seed drives real runs over a past week.
 */
export class AdjustableClock implements WorkflowClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** From now on, time runs from `at`. */
  set(at: Date): void {
    this.offsetMs = at.getTime() - Date.now();
  }

  /** Back to the system's time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
