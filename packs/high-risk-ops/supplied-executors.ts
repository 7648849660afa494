import { DomainError } from '../../kernel/errors/index.ts';
import type { StepContext, WorkflowType } from '../../platform/workflows/index.ts';

const HOUR = 60 * 60 * 1000;

/**
 * The work of a governed type whose executor another part of the platform supplies (the DR drill:
 * `platform/backup` when the platform has backups). Each step gets the run's context (its clock,
 * idempotency key and transcript) and returns JSON for the evidence.
 */
export interface SuppliedExecutor<P> {
  parseParams(input: unknown): P;
  /** What approvers see before deciding (a restore point). */
  preflight(context: StepContext<P>): Promise<unknown>;
  execute(context: StepContext<P>): Promise<unknown>;
  verify(context: StepContext<P>): Promise<unknown>;
  /** When execute or verify failed; absent when the action cannot be undone. */
  rollback?(context: StepContext<P>): Promise<unknown>;
}

/** The executors this build has; a type without one refuses its runs at preflight. */
export interface SuppliedExecutors {
  drDrill?: SuppliedExecutor<unknown>;
}

interface SuppliedType {
  name: string;
  description: string;
  scope: 'tenant' | 'platform';
  approval: WorkflowType['approval'];
  categories: string[];
}

const DR_DRILL: SuppliedType = {
  name: 'dr-drill',
  description: 'Restore the platform from its latest backup into a scratch environment and measure RTO and RPO (executor supplied by the DR module).',
  scope: 'platform',
  approval: { combine: 'all', groups: [{ role: 'approver', count: 1 }] },
  categories: ['drill', 'compliance'],
};

/** The DR drill type, carried out by whatever executor the build supplies (or refused at preflight). */
export function suppliedTypes(executors: SuppliedExecutors): WorkflowType<unknown>[] {
  return [typeOf(DR_DRILL, executors.drDrill)];
}

function typeOf(spec: SuppliedType, executor: SuppliedExecutor<unknown> | undefined): WorkflowType<unknown> {
  const missing = () => {
    throw new Error(`this build has no ${spec.name} executor: the disaster-recovery module supplies it`);
  };
  return {
    name: spec.name,
    pack: 'high-risk-ops',
    description: spec.description,
    scope: spec.scope,
    parseParams: (input) => {
      if (executor) return executor.parseParams(input);
      if (input === undefined || input === null || (typeof input === 'object' && !Array.isArray(input))) return input ?? {};
      throw new DomainError('WORKFLOW_PARAMS_INVALID', `${spec.name}: params is an object.`);
    },
    approval: spec.approval,
    separateDuties: true,
    rationale: { categories: spec.categories, minLength: 20 },
    approvalExpiryMs: 24 * HOUR,
    approvalSlaMs: 8 * HOUR,
    steps: {
      preflight: { onInterrupt: 'retry', run: (context) => (executor ? executor.preflight(context) : missing()) },
      execute: { onInterrupt: 'compensate', run: (context) => (executor ? executor.execute(context) : missing()) },
      verify: { onInterrupt: 'retry', run: (context) => (executor ? executor.verify(context) : missing()) },
      ...(executor?.rollback ? { rollback: { onInterrupt: 'retry' as const, run: (context: StepContext<unknown>) => executor.rollback!(context) } } : {}),
    },
  };
}
