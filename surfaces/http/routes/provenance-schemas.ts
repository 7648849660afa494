import { receiptIdHeader, receiptIdSchema } from '../kit/index.ts';

/**
 * JSON Schemas of the provenance routes' bodies. The ledger's own formats keep
 * their standard spellings and are described as open objects: a DSSE envelope
 * (`payloadType`, `signatures[].keyid`) around an in-toto Statement (`_type`,
 * `predicateType`), the inclusion proofs and the evidence bundle file that
 * `companyos ledger verify` reads (kernel/ledger/README.md).
 */

const base64Hash = { type: 'string', description: 'A SHA-256 hash, base64.' } as const;

/** The evidence bundle's inclusion proof, as `entries[].inclusionProof` of a bundle file spells it. */
const inclusionProofSchema = {
  type: 'object',
  additionalProperties: true,
  description:
    'An RFC 9162 inclusion proof of the entry under `checkpoint`, in the evidence bundle format\'s own spelling (`application/vnd.companyos.evidence-bundle.v1+json`, ' +
    'as `entries[].inclusionProof`): `logIndex`, `treeSize`, `rootHash` (base64) and `hashes` (base64, from the leaf up).',
} as const;

const receiptProperties = {
  receipt_id: { type: 'string' },
  log_index: { type: 'integer', minimum: 0, description: "The entry's position in the tenant's log." },
  entry: { type: 'string', description: 'The ledger entry exactly as appended: the DSSE envelope\'s JSON text (its leaf hash is `sha256(0x00 ‖ entry)`).' },
  envelope: {
    type: 'object',
    additionalProperties: true,
    description:
      'The entry parsed: a DSSE envelope in its standard spelling (`payloadType`, `payload` base64, `signatures: [{keyid, sig}]`) over an in-toto Statement v1 ' +
      '(`_type`, `subject`, `predicateType` `https://companyos.dev/receipt/v1`, `predicate`); hidden fields appear only as `_sd` digests.',
  },
  inclusion_proof: inclusionProofSchema,
  checkpoint: { type: 'string', description: 'The C2SP signed checkpoint note the proof is against.' },
} as const;

/** A receipt with its proof. */
export const receiptSchema = {
  type: 'object',
  description: 'The receipt, its inclusion proof and the signed checkpoint the proof is against.',
  required: ['receipt_id', 'log_index', 'entry', 'envelope', 'inclusion_proof', 'checkpoint'],
  properties: receiptProperties,
} as const;

/** A receipt with some of its hidden fields disclosed. */
export const disclosedReceiptSchema = {
  type: 'object',
  description: 'The receipt and its proof, with the disclosures of the fields asked for.',
  required: [...receiptSchema.required, 'disclosures'],
  properties: {
    ...receiptProperties,
    disclosures: {
      type: 'array',
      items: { type: 'string' },
      description: 'RFC 9901 disclosures, `base64url(JSON [salt, name, value])`, one per field asked for: each one\'s digest is in the signed payload\'s `_sd`.',
    },
  },
} as const;

export const checkpointSchema = {
  type: 'object',
  description: "The tenant log's latest checkpoint.",
  required: ['origin', 'size', 'root_hash', 'checkpoint'],
  properties: {
    origin: { type: 'string', description: 'The log\'s name: `companyos.dev/ledger/<tenant>`.' },
    size: { type: 'integer', minimum: 0, description: 'Entries in the log.' },
    root_hash: { ...base64Hash, description: 'The Merkle tree root at that size (RFC 9162), base64.' },
    checkpoint: { type: 'string', description: 'The same, signed: a C2SP tlog-checkpoint signed note.' },
  },
} as const;

export const consistencySchema = {
  type: 'object',
  description: 'The consistency proof from `size1` to `size2`, with the signed checkpoint at each size.',
  required: ['size1', 'size2', 'hashes', 'checkpoint1', 'checkpoint2'],
  properties: {
    size1: { type: 'integer', minimum: 1, description: 'The earlier size (`from`).' },
    size2: { type: 'integer', minimum: 1, description: 'The later size (`to`).' },
    hashes: { type: 'array', items: base64Hash, description: 'The RFC 9162 consistency proof, base64.' },
    checkpoint1: { type: 'string', description: 'The C2SP signed checkpoint at `size1`.' },
    checkpoint2: { type: 'string', description: 'The C2SP signed checkpoint at `size2`.' },
  },
} as const;

const evidenceKind = { type: 'string', enum: ['file', 'transcript'] } as const;
const evidenceName = { type: 'string', minLength: 1, maxLength: 500, description: 'A file name or title.' } as const;
const sha256Hex = { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'The SHA-256 of the content, 64 hex digits.' } as const;

export const evidenceBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    receipt_id: { ...receiptIdSchema, maxLength: 128, description: 'The receipt the evidence backs (this tenant\'s); absent: a bundle of its own, for an approval to cite.' },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'name'],
        anyOf: [{ required: ['sha256'] }, { required: ['content'] }],
        description: 'One piece of evidence: its hash, or its bytes (then the hash, when given too, must be theirs).',
        properties: {
          kind: evidenceKind,
          name: evidenceName,
          sha256: sha256Hex,
          content: { type: 'string', contentEncoding: 'base64', description: 'The bytes, base64 (at most 1 MiB decoded): stored, and hashed for the receipt.' },
        },
      },
    },
  },
  examples: [{
    items: [
      { kind: 'transcript', name: 'cab-call.txt', content: 'QXBwcm92ZWQgaW4gQ0FCIDIwMjYtMTEtMjIu' },
      { kind: 'file', name: 'change-request.pdf', sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
    ],
  }],
} as const;

export const evidenceAttachedSchema = {
  type: 'object',
  description: 'Attached: the bundle, what it backs, its items with their ids (to cite in an approval), and the receipt of the attaching call.',
  headers: receiptIdHeader,
  required: ['bundle_id', 'attached_to', 'items', 'receipt_id'],
  properties: {
    bundle_id: { type: 'string', description: 'Export it with `GET /v1/provenance/bundles/{id}`.' },
    attached_to: { type: ['string', 'null'], description: 'The receipt the evidence backs; null for a bundle of its own.' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'kind', 'name', 'sha256'],
        properties: {
          id: { type: 'string', description: 'The evidence id: `evidence` of `POST /v1/approvals` cites it.' },
          kind: evidenceKind,
          name: { type: 'string' },
          sha256: { type: 'string', description: 'The SHA-256 of the content, 64 lowercase hex digits.' },
        },
      },
    },
    receipt_id: receiptIdSchema,
  },
} as const;

/** The bundle file, as `companyos ledger verify` reads it: a format of its own, spelled its own way. */
export const bundleSchema = {
  type: 'object',
  additionalProperties: true,
  description:
    'An evidence bundle, `application/vnd.companyos.evidence-bundle.v1+json`: a file format of its own with its own spelling (`bundleType`, `bundleId`, `tenant`, `origin`, `createdAt`, ' +
    '`entries` with `logIndex`, `entry`, `disclosures`, `redactions` (disclosures an erasure removed) and `inclusionProof`, `checkpoint`, `consistency`, `evidence`, ' +
    '`purgeManifests` (the signed manifests the redactions are checked against); kernel/ledger/bundle-types.ts), verified offline by ' +
    '`companyos ledger verify`. Answered as an attachment, `<id>.bundle.json`.',
  headers: { 'content-disposition': { type: 'string', description: '`attachment; filename="<id>.bundle.json"`.' } },
} as const;

export const keysSchema = {
  type: 'object',
  description: 'The ledger keys, the active one first.',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key_id', 'name', 'verifier_key', 'active', 'created_at', 'retired_at'],
        properties: {
          key_id: { type: 'string', description: 'The C2SP key id, 8 hex digits; also the DSSE `keyid` of what it signed.' },
          name: { type: 'string', description: 'The key name, e.g. `companyos-ledger`.' },
          verifier_key: { type: 'string', description: 'The C2SP verifier key, `<name>+<key id>+<base64>`: pass it to `companyos ledger verify --key`.' },
          active: { type: 'boolean', description: 'Signing now; the others are retired and only verify.' },
          created_at: { type: ['string', 'null'], format: 'date-time', description: 'When it was made; null when unknown.' },
          retired_at: { type: ['string', 'null'], format: 'date-time', description: 'When it stopped signing; null while active.' },
        },
      },
    },
  },
} as const;

/** A tenant's purge manifests: what retention and erasures removed, signed and receipted. */
export const purgeManifestsSchema = {
  type: 'object',
  description: "The caller's tenant's purge manifests, newest first.",
  required: ['manifests'],
  properties: {
    manifests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['purge_id', 'ran_at', 'envelope', 'receipt_id'],
        properties: {
          purge_id: { type: 'string', description: 'The purge: `retention-<Monday of the week>` for the weekly retention run, `erasure-<run id>` for a subject\'s erasure.' },
          ran_at: { type: 'string', format: 'date-time' },
          envelope: {
            type: 'object',
            additionalProperties: true,
            description:
              'The manifest, signed: a DSSE envelope (verify with `GET /v1/provenance/keys`) around `application/vnd.companyos.purge-manifest+json` — scope, data classes, ' +
              'windows, counts and tombstones (per table: rows, oldest and newest, cutoff), never the rows; an erasure\'s (`companyos.erasure/v1`): counts, the redacted ' +
              'disclosures\' digests, export digests, backups dropped and storage reclaimed, never the subject.',
          },
          receipt_id: { type: 'string', description: "The receipt in this tenant's ledger naming the SHA-256 of the envelope's JSON text (`getReceipt`)." },
        },
      },
    },
  },
} as const;
