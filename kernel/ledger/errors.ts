/** What a failed verification was checking. */
export type VerificationCheck =
  | 'inclusion'
  | 'consistency'
  | 'signature'
  | 'checkpoint'
  | 'disclosure'
  | 'payload'
  | 'key'
  | 'evidence'
  | 'bundle';

/** Thrown by every verifier in kernel/ledger/ when the data does not check out. */
export class LedgerVerificationError extends Error {
  override readonly name = 'LedgerVerificationError';

  constructor(
    readonly check: VerificationCheck,
    message: string,
  ) {
    super(message);
  }
}
