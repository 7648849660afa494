import type { ResourceAttributes } from '../../kernel/policies/index.ts';

/** The gate's answer, for the handler and the receipt hook. */
export interface Authorization {
  decisionId: string;
  bundleRevision: string;
  principalId: string;
  resource: ResourceAttributes;
  approvers: string[];
}

/** What the handler adds to the receipt of a privileged action. */
export interface ReceiptDraft {
  /** Allocated before the handler runs, so the response can carry it. */
  id: string;
  /** What was acted on; defaults to the resource, digested as the response body. */
  target?: { name: string; sha256: string };
  evidenceRefs: { id: string; sha256: string }[];
  /** Fields hidden behind salted digests: disclosed only on request. */
  hidden: Record<string, string>;
  /** The handler found nothing to change (a PATCH to the same values): no receipt, since a receipt means an effect. */
  unchanged?: boolean;
  /** Undoes the action when its receipt cannot be written. */
  rollback?: () => Promise<void>;
  /** Set once the receipt is in the ledger. */
  logIndex?: number;
  /**
   * Appended in the action's own transaction (`appendReceiptIn`): true once that committed — it stands
   * exactly when the action does —, false while it has not (the transaction failed: neither was written).
   */
  withAction?: boolean;
}
