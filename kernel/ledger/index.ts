export { LedgerVerificationError, type VerificationCheck } from './errors.ts';
export {
  EMPTY_ROOT,
  HASH_SIZE,
  MerkleTree,
  consistencyProofLength,
  hashChildren,
  hashLeaf,
  inclusionProofLength,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';
export {
  computeKeyId,
  formatVerifierKey,
  generateLedgerKey,
  isValidKeyName,
  keyLookup,
  ledgerKeyFromPrivate,
  ledgerKeyFromPublic,
  parseVerifierKey,
  privateKeyFromSeed,
  signBytes,
  verifyBytes,
  type KeyDates,
  type KeySource,
  type LedgerKey,
} from './keys.ts';
export { Keyring } from './keyring.ts';
export { LEDGER_KEY_NAME } from './key-name.ts';
export { openEnvelope, pae, readEnvelope, signEnvelope, verifyEnvelope, type DsseEnvelope, type DsseSignature, type OpenedEnvelope } from './dsse.ts';
export { SD_ALG, disclosureDigest, makeDisclosure, parseDisclosure, randomSalt, revealDisclosures, type Disclosure } from './disclosure.ts';
export { verifyRedactions, type RedactionMarker } from './redaction.ts';
export {
  RECEIPT_PAYLOAD_TYPE,
  RECEIPT_PREDICATE_TYPE,
  STATEMENT_TYPE,
  buildReceipt,
  parseReceiptStatement,
  readReceipt,
  type BuiltReceipt,
  type EvidenceRef,
  type ReceiptInput,
  type ReceiptPredicate,
  type ReceiptStatement,
} from './receipt.ts';
export { signNote, verifyNote, type VerifiedNote } from './note.ts';
export {
  formatCheckpoint,
  parseCheckpoint,
  readCheckpointUnverified,
  signCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
  type VerifiedCheckpoint,
} from './checkpoint.ts';
export {
  BUNDLE_TYPE,
  formatReport,
  verifyBundle,
  type BundleCheck,
  type BundleConsistency,
  type BundleEntry,
  type BundleReport,
  type EvidenceBundle,
  type EvidenceBundle as EvidenceBundleJson,
  type EvidenceItem,
} from './bundle.ts';
