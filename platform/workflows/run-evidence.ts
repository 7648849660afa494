import { createHash } from 'node:crypto';
import type { EvidenceItem } from '../governance/index.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from './run-records.ts';

/** What a receipt commits to: an evidence item's id and the SHA-256 of its bytes. */
export interface EvidenceRef {
  id: string;
  sha256: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** An approval as its evidence: who, with which roles, what they decided and why, when. */
export function approvalText(approval: ApprovalRecord): string {
  return JSON.stringify({
    approver: approval.approver, roles: approval.roles, decision: approval.decision,
    rationale_category: approval.rationaleCategory, rationale: approval.rationale, decided_at: approval.at.toISOString(),
  });
}

export function approvalRef(approval: ApprovalRecord): EvidenceRef {
  return { id: `approval:${approval.approver}`, sha256: sha256(approvalText(approval)) };
}

/** A step's end (its output and the executor's transcript, or its error) as its evidence. */
function stepText(step: StepRecord): string {
  return JSON.stringify({ step: step.step, phase: step.phase, attempt: step.attempt, executor: step.executor, at: step.at.toISOString(), output: step.output });
}

const ended = (run: RunRecord) => run.steps.filter((step) => step.phase !== 'started');
const stepId = (step: StepRecord) => `step:${step.step}:${step.attempt}:${step.phase}`;

/** The run's step ends so far, as the refs the final transition's receipt signs. */
export function stepRefs(run: RunRecord): EvidenceRef[] {
  return ended(run).map((step) => ({ id: stepId(step), sha256: sha256(stepText(step)) }));
}

/** Every approval and step end of the run, with its bytes: the evidence of its bundle. */
export function runEvidence(run: RunRecord): EvidenceItem[] {
  const item = (id: string, name: string, text: string): EvidenceItem => ({
    id, kind: 'transcript', name, sha256: sha256(text), sizeBytes: Buffer.byteLength(text), content: Buffer.from(text).toString('base64'),
  });
  return [
    ...run.approvals.map((approval) => item(`approval:${approval.approver}`, `${approval.decision} by ${approval.approver}`, approvalText(approval))),
    ...ended(run).map((step) => item(stepId(step), `${step.step} ${step.phase} (attempt ${step.attempt})`, stepText(step))),
  ];
}
