import { disclosureDigest, makeDisclosure, SD_ALG } from './disclosure.ts';
import { openEnvelope, signEnvelope, type DsseEnvelope } from './dsse.ts';
import { isSha256Hex } from './encoding.ts';
import { LedgerVerificationError } from './errors.ts';
import type { KeySource, LedgerKey } from './keys.ts';

export const RECEIPT_PAYLOAD_TYPE = 'application/vnd.companyos.receipt.v1+json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const RECEIPT_PREDICATE_TYPE = 'https://companyos.dev/receipt/v1';

export interface EvidenceRef {
  id: string;
  /** Lowercase hex SHA-256 of the evidence content. */
  sha256: string;
}

export interface ReceiptInput {
  receiptId: string;
  tenant: string;
  actor: string;
  action: string;
  /** `name` is public (the in-toto subject); put sensitive display names in `hidden`. */
  target: { name: string; digest: string };
  decisionId: string;
  bundleRevision: string;
  approvers: string[];
  evidenceRefs: EvidenceRef[];
  /** ISO 8601 time. */
  time: string;
  /** Fields recorded only as SD-JWT disclosures: `_sd` digests in the statement, values kept aside. */
  hidden?: Record<string, string>;
}

export interface ReceiptPredicate {
  receiptId: string;
  action: string;
  tenant: string;
  actor: string;
  approvers: string[];
  evidenceRefs: EvidenceRef[];
  decisionId: string;
  bundleRevision: string;
  time: string;
  _sd_alg: typeof SD_ALG;
  _sd: string[];
}

/** An in-toto Statement v1 whose predicate is a CompanyOS receipt. */
export interface ReceiptStatement {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof RECEIPT_PREDICATE_TYPE;
  predicate: ReceiptPredicate;
}

export interface BuiltReceipt {
  envelope: DsseEnvelope;
  /** The exact signed payload. */
  statementBytes: Buffer;
  /** One per hidden field, in the order given. */
  disclosures: string[];
}

const STRING_FIELDS = ['receiptId', 'action', 'tenant', 'actor', 'decisionId', 'bundleRevision', 'time'] as const;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function buildReceipt(input: ReceiptInput, key: LedgerKey): BuiltReceipt {
  for (const field of STRING_FIELDS) {
    if (typeof input[field] !== 'string' || input[field] === '') throw new TypeError(`Receipt ${field} must be a non-empty string.`);
  }
  if (!ISO_TIME.test(input.time) || Number.isNaN(Date.parse(input.time))) throw new TypeError(`Receipt time ${input.time} is not an ISO 8601 time.`);
  if (typeof input.target?.name !== 'string' || !isSha256Hex(input.target.digest)) {
    throw new TypeError('Receipt target needs a name and a lowercase hex sha256 digest.');
  }
  if (!input.approvers.every((a) => typeof a === 'string')) throw new TypeError('Receipt approvers must be strings.');
  if (!input.evidenceRefs.every((r) => typeof r.id === 'string' && isSha256Hex(r.sha256))) {
    throw new TypeError('Receipt evidenceRefs need an id and a lowercase hex sha256.');
  }
  const disclosures = Object.entries(input.hidden ?? {}).map(([name, value]) => {
    if (typeof value !== 'string') throw new TypeError(`Hidden field ${name} must be a string.`);
    return makeDisclosure(name, value);
  });
  const statement: ReceiptStatement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: input.target.name, digest: { sha256: input.target.digest } }],
    predicateType: RECEIPT_PREDICATE_TYPE,
    predicate: {
      receiptId: input.receiptId,
      action: input.action,
      tenant: input.tenant,
      actor: input.actor,
      approvers: [...input.approvers],
      evidenceRefs: input.evidenceRefs.map(({ id, sha256 }) => ({ id, sha256 })),
      decisionId: input.decisionId,
      bundleRevision: input.bundleRevision,
      time: input.time,
      _sd_alg: SD_ALG,
      // Sorted so the order does not tell which digest belongs to which field.
      _sd: disclosures.map(disclosureDigest).sort(),
    },
  };
  const statementBytes = Buffer.from(JSON.stringify(statement), 'utf8');
  return { envelope: signEnvelope(RECEIPT_PAYLOAD_TYPE, statementBytes, key), statementBytes, disclosures };
}

function bad(message: string): never {
  throw new LedgerVerificationError('payload', message);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Parses and checks a receipt statement; throws LedgerVerificationError('payload') naming the bad field. */
export function parseReceiptStatement(bytes: Uint8Array): ReceiptStatement {
  let s: unknown;
  try {
    s = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    bad('The receipt payload is not UTF-8 JSON.');
  }
  if (!isObject(s)) bad('The receipt payload is not a JSON object.');
  if (s._type !== STATEMENT_TYPE) bad(`_type is not ${STATEMENT_TYPE}.`);
  if (s.predicateType !== RECEIPT_PREDICATE_TYPE) bad(`predicateType is not ${RECEIPT_PREDICATE_TYPE}.`);
  const subjects = s.subject;
  if (!Array.isArray(subjects) || subjects.length === 0) bad('subject is not a non-empty array.');
  subjects.forEach((sub: unknown, i) => {
    if (!isObject(sub) || typeof sub.name !== 'string' || !isObject(sub.digest) || !isSha256Hex(sub.digest.sha256)) {
      bad(`subject[${i}] needs a name and a hex sha256 digest.`);
    }
  });
  const p = s.predicate;
  if (!isObject(p)) bad('predicate is not an object.');
  for (const field of STRING_FIELDS) if (typeof p[field] !== 'string') bad(`predicate.${field} is not a string.`);
  if (!isStringArray(p.approvers)) bad('predicate.approvers is not an array of strings.');
  const refs = p.evidenceRefs;
  if (!Array.isArray(refs) || !refs.every((r: unknown) => isObject(r) && typeof r.id === 'string' && isSha256Hex(r.sha256))) {
    bad('predicate.evidenceRefs is not an array of {id, sha256}.');
  }
  if (p._sd_alg !== SD_ALG) bad(`predicate._sd_alg is not ${SD_ALG}.`);
  if (!isStringArray(p._sd)) bad('predicate._sd is not an array of strings.');
  return s as unknown as ReceiptStatement;
}

/** Verifies a receipt envelope and returns its statement. */
export function readReceipt(envelope: unknown, keys: KeySource): ReceiptStatement {
  const { payloadType, payload } = openEnvelope(envelope, keys);
  if (payloadType !== RECEIPT_PAYLOAD_TYPE) bad(`The envelope carries ${payloadType}, not ${RECEIPT_PAYLOAD_TYPE}.`);
  return parseReceiptStatement(payload);
}
