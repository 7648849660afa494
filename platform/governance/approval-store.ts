import { timeOrderedId } from '../../kernel/ids/index.ts';
import type { StateStore } from '../../kernel/state/index.ts';
import type { InSameTransaction } from './in-same-transaction.ts';
import { DomainError } from '../../kernel/errors/index.ts';

/** Why a destructive action may go ahead: every approval names one. */
export const RATIONALE_CATEGORIES = ['decommission', 'incident', 'compliance', 'customer-request', 'security', 'data-retention'] as const;
export type RationaleCategory = (typeof RATIONALE_CATEGORIES)[number];
/** How long an approval lets the requester act. */
export const APPROVAL_TTL_MS = 24 * 60 * 60 * 1000;

export interface Rationale {
  category: RationaleCategory;
  text: string;
}

export interface ApprovalRequest {
  requestId: string;
  entityId: string;
  action: string;
  requestedBy: string;
  requestedAt: Date;
}

export interface Approval {
  approvalId: string;
  requestId: string;
  entityId: string;
  action: string;
  approver: string;
  requestedBy: string;
  rationale: Rationale;
  evidenceIds: string[];
  approvedAt: Date;
}

/** `{category, text}`, or the short form `"category: text"`. */
export function parseRationale(value: unknown): Rationale {
  let category: unknown;
  let text: unknown;
  if (typeof value === 'string') [category, text] = value.split(/:\s*(.*)/s);
  else if (value && typeof value === 'object') ({ category, text } = value as Record<string, unknown>);
  if (!RATIONALE_CATEGORIES.includes(category as RationaleCategory)) {
    throw new DomainError('RATIONALE_INVALID', `The category must be one of ${RATIONALE_CATEGORIES.join(', ')}; got ${JSON.stringify(category ?? null)}.`);
  }
  if (typeof text !== 'string' || text.trim().length < 3 || text.length > 2000) {
    throw new DomainError('RATIONALE_INVALID', 'Say why in 3–2000 characters: {"category": "…", "text": "…"} or "category: text".');
  }
  return { category: category as RationaleCategory, text: text.trim() };
}

/**
 * Dual control's paperwork: requests for destructive actions and the approvals that answer
 * them, one row per (approval, status). The state store's unique key on (tenant, approval,
 * status) makes each step happen once: an approval is consumed by one execution only, however
 * many race for it.
 */
export class ApprovalStore {
  /** Open requests by tenant, entity and action, as this process last knew them: kept only when it is the store's only writer (`soleWriter`). */
  private readonly open = new Map<string, ApprovalRequest[]>();

  constructor(private readonly state: StateStore) {}

  /** Files a request, or returns the requester's open one for the same action. */
  async request(tenant: string, entityId: string, action: string, requestedBy: string, decisionId: string): Promise<ApprovalRequest> {
    const open = await this.pending(tenant, entityId, action);
    const mine = open.find((r) => r.requestedBy === requestedBy);
    if (mine) return mine;
    const request = { requestId: timeOrderedId(), entityId, action, requestedBy, requestedAt: new Date() };
    await this.state.transaction((tx) => tx.insert('approval_requests', [
      { tenant_id: tenant, request_id: request.requestId, entity_id: entityId, action, requested_by: requestedBy, requested_at: request.requestedAt, decision_id: decisionId },
    ]));
    open.push(request);
    return request;
  }

  /** Requests not yet approved (oldest first). */
  async pending(tenant: string, entityId: string, action: string): Promise<ApprovalRequest[]> {
    const key = `${tenant}\u0000${entityId}\u0000${action}`;
    const known = this.state.soleWriter ? this.open.get(key) : undefined;
    if (known) return known;
    const rows = await this.state.query(
      `SELECT request_id, requested_by, requested_at FROM approval_requests
       WHERE tenant_id = ? AND entity_id = ? AND action = ?
         AND request_id NOT IN (SELECT request_id FROM approvals WHERE tenant_id = ? AND entity_id = ? AND status = 'approved'
                                AND approval_id NOT IN (SELECT approval_id FROM approvals WHERE tenant_id = ? AND status = 'rolled-back'))
       ORDER BY requested_at`,
      [tenant, entityId, action, tenant, entityId, tenant],
    );
    const open = rows.map((row) => ({
      requestId: String(row.request_id),
      entityId,
      action,
      requestedBy: String(row.requested_by),
      requestedAt: row.requested_at as Date,
    }));
    if (!this.state.soleWriter) return open;
    // A concurrent caller may have filled it meanwhile; keep one list.
    if (!this.open.has(key)) this.open.set(key, open);
    return this.open.get(key)!;
  }

  async approve(tenant: string, request: ApprovalRequest, approver: string, rationale: Rationale, evidenceIds: string[], also?: InSameTransaction<Approval>): Promise<Approval> {
    const approval: Approval = {
      approvalId: timeOrderedId(),
      requestId: request.requestId,
      entityId: request.entityId,
      action: request.action,
      approver,
      requestedBy: request.requestedBy,
      rationale,
      evidenceIds,
      approvedAt: new Date(),
    };
    await this.write(tenant, request, approval, 'approved', also);
    const open = await this.pending(tenant, request.entityId, request.action);
    const at = open.findIndex((r) => r.requestId === request.requestId);
    if (at >= 0) open.splice(at, 1);
    return approval;
  }

  async rollback(tenant: string, request: ApprovalRequest, approval: Approval): Promise<void> {
    await this.write(tenant, request, approval, 'rolled-back');
    const open = await this.pending(tenant, request.entityId, request.action);
    if (!open.some((r) => r.requestId === request.requestId)) open.push(request);
  }

  /** Marks an approval used: the action it allowed has been executed (and receipted), so it allows nothing more. */
  async consume(tenant: string, approval: Approval): Promise<void> {
    const { requestId, entityId, action, requestedBy, approvedAt } = approval;
    await this.write(tenant, { requestId, entityId, action, requestedBy, requestedAt: approvedAt }, approval, 'consumed');
  }

  /** Whether the request (or, without one, any request for the action on the entity) has a standing approval, used or not. */
  async satisfied(tenant: string, entityId: string, action: string, requestId?: string): Promise<boolean> {
    const [row] = await this.state.query(
      `SELECT approval_id FROM approvals
       WHERE tenant_id = ? AND entity_id = ? AND action = ? AND status = 'approved'${requestId ? ' AND request_id = ?' : ''}
         AND approval_id NOT IN (SELECT approval_id FROM approvals WHERE tenant_id = ? AND status = 'rolled-back')
       LIMIT 1`,
      [tenant, entityId, action, ...(requestId ? [requestId] : []), tenant],
    );
    return row !== undefined;
  }

  /** The newest live approval of `requestedBy`'s request, within its time to live and not yet used. */
  async find(tenant: string, entityId: string, action: string, requestedBy: string): Promise<Approval | undefined> {
    const [row] = await this.state.query(
      `SELECT * FROM approvals
       WHERE tenant_id = ? AND entity_id = ? AND action = ? AND requested_by = ? AND status = 'approved' AND approved_at >= ?
         AND approval_id NOT IN (SELECT approval_id FROM approvals WHERE tenant_id = ? AND status IN ('rolled-back', 'consumed'))
       ORDER BY approved_at DESC LIMIT 1`,
      [tenant, entityId, action, requestedBy, new Date(Date.now() - APPROVAL_TTL_MS), tenant],
    );
    if (!row) return undefined;
    return {
      approvalId: String(row.approval_id),
      requestId: String(row.request_id),
      entityId,
      action,
      approver: String(row.approver),
      requestedBy,
      rationale: { category: String(row.rationale_category) as RationaleCategory, text: String(row.rationale) },
      evidenceIds: JSON.parse(String(row.evidence_ids)) as string[],
      approvedAt: row.approved_at as Date,
    };
  }

  private async write(tenant: string, request: ApprovalRequest, approval: Approval, status: string, also?: InSameTransaction<Approval>): Promise<void> {
    await this.state.transaction(async (tx) => {
      await tx.insert('approvals', [{
        tenant_id: tenant, approval_id: approval.approvalId, request_id: request.requestId, entity_id: request.entityId, action: request.action,
        requested_by: request.requestedBy, approver: approval.approver, rationale_category: approval.rationale.category,
        rationale: approval.rationale.text, evidence_ids: JSON.stringify(approval.evidenceIds), approved_at: approval.approvedAt, status,
      }]);
      await also?.(tx, approval);
    });
  }
}
