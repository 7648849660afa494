import type { FastifyRequest } from 'fastify';
import type { DecisionContext, PolicyAction, ResourceAttributes } from '../../../kernel/policies/index.ts';
import type { Authorization, ReceiptDraft } from '../../../platform/governance/index.ts';
import type { StateTransaction } from '../../../kernel/state/index.ts';

/** What a route declares to be gated: the action, and how to find the resource it acts on. */
export interface GatedRoute {
  /** Receipted: every success appends a signed receipt to the tenant's ledger before the response goes out. */
  privileged?: boolean;
  action: PolicyAction;
  resource(request: FastifyRequest): ResourceAttributes | Promise<ResourceAttributes>;
  /**
   * The states the action would leave (a PATCH's new data class or region): each is decided too, and
   * any denial refuses the action. Runs once the resource itself is allowed.
   */
  produces?(request: FastifyRequest, resource: ResourceAttributes): ResourceAttributes[] | Promise<ResourceAttributes[]>;
  /**
   * Keys (`entityKey(tenant, id)`) the action reads and writes: held from before the resource is
   * loaded until the receipt is written, so no other request changes them in between.
   */
  lock?(request: FastifyRequest): string[];
  /** More context for the decision (who asked for what is being approved). */
  context?(request: FastifyRequest, resource: ResourceAttributes): Partial<DecisionContext> | Promise<Partial<DecisionContext>>;
  /**
   * `after` (default): the receipt is appended when the handler succeeded; if that fails the
   * handler's rollback runs and the caller gets 503. `before`: for actions that cannot be undone
   * (a build, an import), the receipt of the authorized action is appended first and the action
   * is refused when it cannot be.
   */
  receipt?: 'after' | 'before';
  /**
   * Refusals that need no effect (nothing to do, already running): run once the action is allowed
   * and before a `before` receipt, so that a call refused there leaves none (a receipt means an effect).
   */
  ready?(request: FastifyRequest): void | Promise<void>;
  /**
   * The body is an upload the handler streams to disk (the gate decides on headers alone): with
   * `receipt: 'before'` the handler calls `request.commitReceipt(sha256)` once the file is stored
   * and before it acts on it, so the receipt commits to the file's digest.
   */
  upload?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Gated by the policy engine; `privileged` routes are also receipted. */
    gate?: GatedRoute;
    /** Why a state-changing route is neither gated nor receipted (the coverage test insists on a reason). */
    ungated?: string;
  }
  interface FastifyRequest {
    gate?: Authorization;
    receipt?: ReceiptDraft;
    /** On `upload` routes: appends the `before` receipt for the stored body's SHA-256 (RECEIPT_WRITE_FAILED when it cannot). */
    commitReceipt?: (sha256: string) => Promise<void>;
    /**
     * On privileged `after` routes: appends the receipt in the action's own state transaction, `record` (what
     * it wrote) digested as the target unless the handler named one. The action and its receipt commit
     * together; the answer waits for one commit instead of two, and needs no rollback.
     */
    receiptIn?: (tx: StateTransaction, record: string) => Promise<void>;
  }
}
