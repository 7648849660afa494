import type { StateStore } from '../../kernel/state/index.ts';
import { DomainError } from '../../kernel/errors/index.ts';
import type { RunRecord, StepRecord } from './run-records.ts';
import type { StepName, WorkflowClock, WorkflowType } from './workflow-type.ts';

/** A step that failed (its error, or an interruption its type compensates rather than retries). */
export class StepFailed extends Error {
  constructor(readonly step: StepName, message: string) {
    super(message);
  }
}

export interface StepDeps {
  state: StateStore;
  clock: WorkflowClock;
  run: RunRecord;
  type: WorkflowType<unknown>;
}

/**
 * Runs one step of a run durably: a step that completed is never run again (its stored output is
 * answered); a `started` row without an end is a step the process died in, which is retried — same
 * idempotency key, next attempt — or, when the type says so, failed so that rollback compensates.
 * The start row's unique (run, step, phase, attempt) lets one process take each attempt. `run` is the
 * run as stored (read at resume, or as this process wrote it), and the rows written join it.
 */
export async function runStep(deps: StepDeps, step: StepName, executor: string): Promise<unknown> {
  const { run, type } = deps;
  const definition = type.steps[step];
  if (!definition) throw new Error(`${type.name} has no ${step} step`);
  const rows = run.steps.filter((row) => row.step === step);
  const completed = rows.find((row) => row.phase === 'completed');
  if (completed) return (completed.output as { result: unknown }).result;
  const failed = rows.find((row) => row.phase === 'failed');
  if (failed) throw new StepFailed(step, String((failed.output as { error: string }).error));
  const attempts = rows.filter((row) => row.phase === 'started').length;
  /** Writes a row of the step and keeps it in `run.steps` as a read would give it back. */
  const write = async (phase: StepRecord['phase'], attempt: number, output: unknown) => {
    const at = deps.clock.now();
    const text = output === undefined ? null : JSON.stringify(output);
    await deps.state.transaction((tx) => tx.insert('workflow_steps', [{
      tenant_id: run.tenant, run_id: run.runId, step, phase, attempt, executor, requested_by: run.requestedBy,
      separate_duties: type.separateDuties && step !== 'preflight' ? 1 : 0, recorded_at: at, output: text,
    }]));
    run.steps.push({ step, phase, attempt, executor, at, output: text === null ? null : (JSON.parse(text) as unknown) });
  };
  if (attempts > 0 && definition.onInterrupt === 'compensate') {
    const error = `the ${step} step was interrupted (attempt ${attempts}) and is not retried: its type compensates`;
    await write('failed', attempts, { error, transcript: [] });
    throw new StepFailed(step, error);
  }
  const attempt = attempts + 1;
  await write('started', attempt, undefined).catch((error: unknown) => {
    if (error instanceof DomainError && error.code === 'STATE_CHECK_FAILED') {
      throw new DomainError('WORKFLOW_SEPARATION_OF_DUTIES', `The store refused ${executor} as executor of run ${run.runId}: ${error.message}`);
    }
    throw error;
  });
  const transcript: string[] = [];
  const outputs = Object.fromEntries(run.steps.filter((r) => r.phase === 'completed').map((r) => [r.step, (r.output as { result: unknown }).result]));
  let result: unknown;
  try {
    result = await definition.run({
      tenant: run.tenant, runId: run.runId, params: run.params, idempotencyKey: `${run.runId}/${step}`, attempt, outputs,
      approvedAt: run.transitions.find((t) => t.status === 'approved')?.at,
      approvals: run.approvals.filter((a) => a.decision === 'approve').map((a) => ({ approver: a.approver, roles: a.roles, rationaleCategory: a.rationaleCategory, rationale: a.rationale })),
      now: () => deps.clock.now(), log: (line) => void transcript.push(`${deps.clock.now().toISOString()} ${line}`),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await write('failed', attempt, { error: message, transcript });
    throw new StepFailed(step, message);
  }
  await write('completed', attempt, { result: result ?? null, transcript });
  return result;
}
