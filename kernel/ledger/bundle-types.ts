import { decodeBase64 } from './encoding.ts';
import { LedgerVerificationError, type VerificationCheck } from './errors.ts';
import { HASH_SIZE } from './rfc6962.ts';

export const BUNDLE_TYPE = 'application/vnd.companyos.evidence-bundle.v1+json';

/** An evidence bundle: what `companyos ledger verify BUNDLE --key PUBKEY` checks offline. */
export interface EvidenceBundle {
  bundleType: typeof BUNDLE_TYPE;
  bundleId: string;
  tenant: string;
  origin: string;
  createdAt: string;
  entries: BundleEntry[];
  /** Signed checkpoint note at the size every inclusion proof is for. */
  checkpoint: string;
  /** Older checkpoints, each with a consistency proof up to `checkpoint`. */
  consistency: BundleConsistency[];
  evidence: EvidenceItem[];
  /** The signed manifests (DSSE envelope JSON) of the purges that erased disclosures of these entries. */
  purgeManifests?: string[];
}

export interface BundleEntry {
  logIndex: number;
  /** The exact ledger entry text: the DSSE envelope JSON as appended. */
  entry: string;
  disclosures: string[];
  /** Disclosures an erasure removed: the digest the receipt still lists, and the purge whose manifest lists it. */
  redactions?: { digest: string; purgeId: string }[];
  inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[] };
}

export interface BundleConsistency {
  checkpoint: string;
  proof: { size1: number; size2: number; hashes: string[] };
}

export interface EvidenceItem {
  id: string;
  kind: 'file' | 'transcript';
  name: string;
  /** Lowercase hex SHA-256 of the content. */
  sha256: string;
  /** base64; when present the verifier re-hashes it. */
  content?: string;
}

export interface BundleCheck {
  check: VerificationCheck;
  /** What was checked, e.g. `entry 3 (receipt r-17)`, `checkpoint`, `evidence ev-2`. */
  subject: string;
  ok: boolean;
  detail: string;
}

export interface BundleReport {
  ok: boolean;
  bundleId?: string;
  tenant?: string;
  checks: BundleCheck[];
  /** `subject: detail` for each failed check. */
  failures: string[];
}

// Readers for the untrusted JSON: each throws LedgerVerificationError('bundle') naming the field.

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function shapeError(message: string): never {
  throw new LedgerVerificationError('bundle', message);
}

export function readObj(v: unknown, path: string): Obj {
  return isObj(v) ? v : shapeError(`${path} is not an object`);
}

export function readIndex(o: Obj, key: string, path: string): number {
  const v = o[key];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : shapeError(`${path}.${key} is not a non-negative integer`);
}

export function readString(o: Obj, key: string, path: string): string {
  const v = o[key];
  return typeof v === 'string' ? v : shapeError(`${path}.${key} is not a string`);
}

export function readStrings(o: Obj, key: string, path: string): string[] {
  const v = o[key];
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : shapeError(`${path}.${key} is not an array of strings`);
}

export function readHash(v: unknown, path: string): Buffer {
  const bytes = typeof v === 'string' ? decodeBase64(v) : undefined;
  return bytes && bytes.length === HASH_SIZE ? bytes : shapeError(`${path} is not base64 of ${HASH_SIZE} bytes`);
}

export function readHashes(o: Obj, key: string, path: string): Buffer[] {
  const v = o[key];
  if (!Array.isArray(v)) shapeError(`${path}.${key} is not an array`);
  return v.map((h, i) => readHash(h, `${path}.${key}[${i}]`));
}
