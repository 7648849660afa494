import { timeOrderedId } from '../../kernel/ids/index.ts';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../kernel/log/index.ts';
import type { IngestPipeline } from '../ingest/index.ts';
import { DUAL_CONTROL_ACTIONS, NAMESPACE, newDecisionId, type Decision, type DecisionContext, type PolicyAction, type PolicyEngine, type ResourceAttributes } from '../../kernel/policies/index.ts';
import type { Principal } from '../identity/index.ts';
import type { Approval, ApprovalStore } from './approval-store.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { DomainError } from '../../kernel/errors/index.ts';
import type { PlatformMetrics } from '../metrics/index.ts';
import type { EvidenceStore } from './evidence-store.ts';
import type { LedgerStore } from './ledger-store.ts';
import { appendReceipt, appendReceiptIn } from './receipt-writer.ts';
import type { StateTransaction } from '../../kernel/state/index.ts';
import type { DecisionLog } from './decision-log.ts';
import type { Authorization, ReceiptDraft } from './authorization.ts';

export interface GateDeps {
  engine: PolicyEngine;
  decisions: DecisionLog;
  ledger: LedgerStore;
  approvals: ApprovalStore;
  evidence: EvidenceStore;
  pipeline: IngestPipeline;
  metrics: PlatformMetrics;
  /** The environment this server runs in (COMPANYOS_ENV). */
  env: string;
}

/** Where a decision was asked for, for the decision log. */
export interface Asked {
  method: string;
  route: string;
  traceId: string;
}

export interface Verdict {
  decision: Decision;
  decisionId: string;
  principalId: string;
  approval?: Approval;
  /** Denied only for want of an approval someone else could give. */
  awaitsApproval: boolean;
}

const PENDING_APPROVER = '(pending approval)';

/**
 * The one place privileged actions are decided and receipted, for the API's
 * hooks and for the CLI working on a local warehouse alike: no path around it.
 */
export class PolicyGate {
  /** Per-key locks of the routes that declare `lock` (entity writes, approvals). */
  readonly locks = new KeyedMutex();

  constructor(readonly deps: GateDeps) {}

  /** Asks Cedar (with any recorded approval), logs the decision and counts it. */
  async decide(principal: Principal, action: PolicyAction, resource: ResourceAttributes, extra: Partial<DecisionContext>, asked: Asked): Promise<Verdict> {
    const { deps } = this;
    const principalId = `${principal.tenant}/${principal.subject}`;
    const context: DecisionContext = { ...extra, env: deps.env };
    const dualControl = DUAL_CONTROL_ACTIONS.includes(action);
    const approval = dualControl ? await deps.approvals.find(resource.tenant, resource.id, action, principalId) : undefined;
    if (approval) context.approver = approval.approver;
    const attributes = { tenant: principal.tenant, roles: principal.roles, env: principal.env, region: principal.region };
    const ask = (ctx: DecisionContext) => deps.engine.authorize({ principal: { id: principalId, ...attributes }, action, resource, context: ctx });
    const decision = ask(context);
    const decisionId = newDecisionId();
    deps.metrics.observeDecision(action, decision.decision);
    deps.decisions.record({
      decision_id: decisionId,
      timestamp: new Date().toISOString(),
      path: `cedar/${NAMESPACE}/${action}`,
      input: { principal: principalId, action, resource: `${resource.kind}/${resource.id}`, context: { ...context, resource, principal: attributes, ...(principal.grants ? { grants: principal.grants } : {}) } },
      result: { decision: decision.decision, reasons: decision.reasons, errors: decision.errors },
      bundles: { [deps.engine.bundle.name]: { revision: deps.engine.revision } },
      erased: [],
      masked: [],
      trace_id: asked.traceId,
      tenant: principal.tenant,
      resource_tenant: resource.tenant,
      method: asked.method,
      route: asked.route,
    });
    const awaitsApproval =
      decision.decision === 'deny' && dualControl && !approval && ask({ ...context, approver: `${principal.tenant}/${PENDING_APPROVER}` }).decision === 'allow';
    return { decision, decisionId, principalId, approval, awaitsApproval };
  }

  /** A denial as the caller sees it, after recording the attempt as a policy-violation event in the caller's tenant. */
  async refuse(principal: Principal, verdict: Verdict, action: string, resource: ResourceAttributes, asked: Asked): Promise<DomainError> {
    const { deps } = this;
    try {
      await deps.pipeline.ingest(
        [{
          specversion: '1.0',
          id: verdict.decisionId,
          source: '/companyos/api/policy-gate',
          type: 'companyos.policy.violation',
          time: new Date().toISOString(),
          subject: resource.id,
          tenantid: principal.tenant,
          policyversion: deps.engine.revision,
          data: {
            decision_id: verdict.decisionId, principal: verdict.principalId, action, resource: resource.id, resource_tenant: resource.tenant,
            reasons: verdict.decision.reasons, method: asked.method, route: asked.route,
          },
        }],
        { channel: 'http', submitter: principal.tenant },
      );
    } catch (error) {
      // The decision log still holds the denial; the event is the visible copy.
      deps.decisions.log.error({ err: error, decision: verdict.decisionId }, 'could not record the policy violation event');
    }
    const fields = { decision_id: verdict.decisionId, reasons: verdict.decision.reasons };
    if (verdict.decision.reasons.includes('no-self-approval')) return new DomainError('SELF_APPROVAL_REFUSED', `${verdict.principalId} asked for it.`, fields);
    const why = verdict.decision.reasons.length > 0 ? `forbidden by ${verdict.decision.reasons.join(', ')}` : 'no policy permits it';
    return new DomainError('POLICY_DENIED', `${verdict.principalId} may not ${action} ${resource.kind} ${resource.id}: ${why}.`, fields);
  }

  /** The authorization a handler acts under, and a receipt draft (with the approval's evidence) when the action is privileged. */
  async authorization(verdict: Verdict, resource: ResourceAttributes, privileged: boolean): Promise<{ gate: Authorization; draft?: ReceiptDraft }> {
    const { approval } = verdict;
    const gate = { decisionId: verdict.decisionId, bundleRevision: this.deps.engine.revision, principalId: verdict.principalId, resource, approvers: approval ? [approval.approver] : [] };
    if (!privileged) return { gate };
    const draft: ReceiptDraft = {
      id: `rcpt-${timeOrderedId()}`,
      evidenceRefs: [],
      hidden: approval ? { approval_id: approval.approvalId, rationale_category: approval.rationale.category, rationale: approval.rationale.text } : {},
    };
    if (approval) {
      // The approval's evidence travels with the action it allowed, as hashes.
      const items = await this.deps.evidence.items(resource.tenant, approval.evidenceIds);
      draft.evidenceRefs.push(...items.map((item) => ({ id: item.id, sha256: item.sha256 })));
    }
    return { gate, draft };
  }

  /**
   * Marks an approval used by the receipted action `receiptId`: it allows one execution. A failure is
   * logged, not thrown: the action and its receipt stand either way.
   */
  async consumeApproval(tenant: string, approval: Approval, receiptId: string, log: Pick<Logger, 'error'>): Promise<void> {
    try {
      await this.deps.approvals.consume(tenant, approval);
    } catch (error) {
      log.error({ err: error, approval: approval.approvalId, receipt: receiptId }, 'could not mark the approval consumed');
    }
  }

  async receipt(tenant: string, action: string, gate: Authorization, draft: ReceiptDraft, body: string | Buffer): Promise<void> {
    await appendReceipt(this.deps.ledger, { tenant, action, gate, draft, body });
    this.deps.metrics.observeReceipt(action);
  }

  /**
   * The receipt appended in the action's own transaction `tx`, so that both commit together and the answer
   * waits for one commit, not two; `record` (what the action wrote) is digested as the target when the
   * handler named none.
   */
  async receiptIn(tx: StateTransaction, tenant: string, action: string, gate: Authorization, draft: ReceiptDraft, record: string): Promise<void> {
    await appendReceiptIn(tx, this.deps.ledger, { tenant, action, gate, draft, body: record });
    tx.afterCommit(() => this.deps.metrics.observeReceipt(action));
  }

  /**
   * For callers outside HTTP (the CLI on a local warehouse): decide, refuse or
   * receipt first, then act. What cannot be receipted is not done.
   */
  async runPrivileged<T>(principal: Principal, action: PolicyAction, resource: ResourceAttributes, request: unknown, what: string, act: () => Promise<T>): Promise<T> {
    const asked = { method: 'CLI', route: what, traceId: randomUUID().replaceAll('-', '') };
    const verdict = await this.decide(principal, action, resource, {}, asked);
    if (verdict.decision.decision === 'deny') throw await this.refuse(principal, verdict, action, resource, asked);
    const { gate, draft } = await this.authorization(verdict, resource, true);
    try {
      await this.receipt(principal.tenant, action, gate, draft!, JSON.stringify({ command: what, request }));
    } catch (error) {
      throw new DomainError('RECEIPT_WRITE_FAILED', `Nothing was done (${(error as Error).message}).`);
    }
    const result = await act();
    if (verdict.approval) await this.consumeApproval(resource.tenant, verdict.approval, draft!.id, this.deps.decisions.log);
    return result;
  }
}
