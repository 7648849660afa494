import { appendFile } from 'node:fs/promises';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { ApprovalRule } from '../approval-rule.ts';
import type { WorkflowType } from '../workflow-type.ts';

export interface TestParams {
  target: string;
  /** Makes the execute step throw. */
  failExecute?: boolean;
}

/**
 * A workflow type for the engine's tests: its steps append a line per call to `journal`
 * (a file), so a test counts how often each really ran, and `pause(point)` lets a child
 * process stop where a test will kill it.
 */
export function testWorkflow(options: {
  journal: string;
  approval?: ApprovalRule;
  separateDuties?: boolean;
  onInterrupt?: 'retry' | 'compensate';
  pause?: (point: string) => Promise<void>;
}): WorkflowType<TestParams> {
  const pause = options.pause ?? (async () => undefined);
  const note = (line: string) => appendFile(options.journal, `${line}\n`);
  return {
    name: 'test-change',
    pack: 'test',
    description: 'A change whose steps leave a journal.',
    parseParams(input) {
      const params = input as Partial<TestParams> | null;
      if (!params || typeof params.target !== 'string' || params.target === '') throw new DomainError('WORKFLOW_PARAMS_INVALID', '`target` is required.');
      return { target: params.target, failExecute: params.failExecute === true };
    },
    approval: options.approval ?? { combine: 'all', groups: [{ role: 'approver', count: 1 }] },
    separateDuties: options.separateDuties ?? true,
    rationale: { categories: ['incident', 'maintenance'], minLength: 20 },
    approvalExpiryMs: 60 * 60 * 1000,
    approvalSlaMs: 15 * 60 * 1000,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context) {
          await note(`preflight ${context.idempotencyKey}`);
          context.log(`checked ${context.params.target}`);
          return { ok: true, target: context.params.target };
        },
      },
      execute: {
        onInterrupt: options.onInterrupt ?? 'retry',
        async run(context) {
          await note(`execute-start ${context.idempotencyKey} attempt ${context.attempt}`);
          await pause('mid-execute');
          if (context.params.failExecute) throw new Error(`${context.params.target} refused the change`);
          await note(`execute-done ${context.idempotencyKey}`);
          context.log(`changed ${context.params.target}`);
          return { changed: context.params.target };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          await note(`verify ${context.idempotencyKey}`);
          return { verified: (context.outputs.execute as { changed: string }).changed };
        },
      },
      rollback: {
        onInterrupt: 'retry',
        async run(context) {
          await note(`rollback ${context.idempotencyKey}`);
          context.log(`restored ${context.params.target}`);
          return { restored: context.params.target };
        },
      },
    },
  };
}
