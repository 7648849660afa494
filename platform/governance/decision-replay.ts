import { ACTIONS, type DecisionContext, type PolicyAction, type PolicyEngine, type ResourceAttributes } from '../../kernel/policies/index.ts';
import type { DecisionRecord } from './decision-log.ts';

/** A logged decision a proposed bundle would decide the other way. */
export interface DecisionFlip {
  decision_id: string;
  decided_at: string;
  principal: string;
  action: string;
  resource: string;
  tenant: string;
  was: 'allow' | 'deny';
  would_be: 'allow' | 'deny';
  /** The proposed bundle's policies that determine the new answer. */
  reasons: string[];
}

export interface ReplayReport {
  replayed: number;
  /** Decisions logged without the principal's attributes (before they were recorded), or of an action the bundle no longer has. */
  skipped: number;
  flips: DecisionFlip[];
}

interface LoggedPrincipal {
  tenant: string;
  roles: string[];
  env: string;
  region: string;
}

/** Asks `engine` every logged decision again, with the principal, resource and context they were decided on. */
export function replayDecisions(records: readonly DecisionRecord[], engine: PolicyEngine): ReplayReport {
  const report: ReplayReport = { replayed: 0, skipped: 0, flips: [] };
  for (const record of records) {
    const context = record.input.context as Partial<DecisionContext> & { resource?: ResourceAttributes; principal?: LoggedPrincipal };
    const action = record.input.action as PolicyAction;
    if (!context.principal || !context.resource || !ACTIONS.includes(action)) {
      report.skipped += 1;
      continue;
    }
    const asked: DecisionContext = { env: String(context.env) };
    if (context.approver) asked.approver = context.approver;
    if (context.requester) asked.requester = context.requester;
    const answer = engine.authorize({ principal: { id: record.input.principal, ...context.principal }, action, resource: context.resource, context: asked });
    report.replayed += 1;
    if (answer.decision !== record.result.decision) {
      report.flips.push({
        decision_id: record.decision_id, decided_at: record.timestamp, principal: record.input.principal, action, resource: record.input.resource,
        tenant: record.tenant, was: record.result.decision, would_be: answer.decision, reasons: answer.reasons,
      });
    }
  }
  return report;
}
