export { WorkflowEngine, type ApprovalDecision, type RunRequest, type RunView, type WorkflowEngineOptions, type WorkflowEvent } from './workflow-engine.ts';
export { WORKFLOW_TABLES } from './workflow-tables.ts';
export { checkApprovalRule, describeRule, outstanding, ruleSatisfied, type ApprovalRule, type ApproverGroup, type CountedApproval } from './approval-rule.ts';
export { AdjustableClock, FINAL_STATUSES, STEP_NAMES, SYSTEM_CLOCK, type RunStatus, type StepContext, type StepDefinition, type StepName, type WorkflowClock, type WorkflowType } from './workflow-type.ts';
export { transitionReceiptId } from './transition-receipt.ts';
export { exchangeForExecutor, runAudience } from './executor-tokens.ts';
export { QueueMarks } from './queue-marks.ts';
export { QUEUE_MARKS_TABLE } from './queue-marks-table.ts';
export { recoverQueuesAfterStart, type QueueRecovery } from './queue-recovery.ts';
