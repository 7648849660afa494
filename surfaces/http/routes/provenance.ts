import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatVerifierKey } from '../../../kernel/ledger/index.ts';
import type { ResourceAttributes } from '../../../kernel/policies/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { exportBundle, proofJson } from '../../../platform/governance/index.ts';
import { bodyErrorsAs } from '../kit/index.ts';
import { errorResponses } from '../kit/index.ts';
import { checkEvidenceItems, type EvidenceStore } from '../../../platform/governance/index.ts';
import type { LedgerStore, StoredEntry } from '../../../platform/governance/index.ts';
import {
  bundleSchema, checkpointSchema, consistencySchema, disclosedReceiptSchema, evidenceAttachedSchema, evidenceBodySchema, keysSchema, purgeManifestsSchema, receiptSchema,
} from './provenance-schemas.ts';
import { readPurgeManifests } from '../../../platform/retention/index.ts';
import type { TenantScope } from '../../../platform/tenancy/index.ts';

const idParams = (what: string) => ({ type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 128, description: what } } }) as const;
const receiptParams = idParams('The receipt id (`receipt_id` of a privileged action, or its `x-companyos-receipt` header).');
const found = new WeakMap<FastifyRequest, StoredEntry>();

/** Receipts, proofs, checkpoints, evidence and keys: what an auditor needs to check the ledger without trusting the server. */
export function provenanceRoutes(app: FastifyInstance, deps: { ledger: LedgerStore; evidence: EvidenceStore; region: string; stateScope: (tenant: string) => TenantScope }): void {
  const own = (kind: string, dataClass = 'internal') => (request: FastifyRequest): ResourceAttributes => ({
    id: (request.params as { id?: string }).id ?? kind,
    tenant: request.principal!.tenant,
    kind,
    data_class: dataClass,
    region: deps.region,
  });
  // Only the caller's tenant's log is searched: another tenant's receipt answers exactly as one that does not exist.
  const receipt = (dataClass: string) => async (request: FastifyRequest): Promise<ResourceAttributes> => {
    const { id } = request.params as { id: string };
    const entry = await deps.ledger.entryByReceipt(request.principal!.tenant, id);
    if (!entry) throw new DomainError('RECEIPT_NOT_FOUND', `No receipt ${id}.`);
    found.set(request, entry);
    return { id, tenant: entry.tenant, kind: 'Receipt', data_class: dataClass, region: deps.region };
  };

  const withProof = async (entry: StoredEntry) => {
    // One this process has not learnt of yet (another replica appended it) is read in first.
    const checkpoint = await deps.ledger.checkpointCovering(entry.tenant, entry.logIndex + 1);
    const hashes = await deps.ledger.inclusionProof(entry.tenant, entry.logIndex, checkpoint.size);
    return {
      receipt_id: entry.receiptId,
      log_index: entry.logIndex,
      entry: entry.entry,
      envelope: JSON.parse(entry.entry) as unknown,
      inclusion_proof: proofJson(entry.logIndex, checkpoint.size, checkpoint.rootHash, hashes),
      checkpoint: checkpoint.note,
    };
  };

  app.get<{ Params: { id: string } }>(
    '/v1/provenance/receipts/:id',
    {
      schema: {
        operationId: 'getReceipt',
        summary: 'Read a receipt with its inclusion proof',
        description:
          "A receipt of the caller's tenant's ledger: its DSSE envelope, its inclusion proof and the signed checkpoint the proof is against; hidden fields stay hidden " +
          "(`disclose` reveals chosen ones). Decided as a read (any role that may read); another tenant's receipt answers 404 as one that does not exist. Not receipted.",
        tags: ['provenance'],
        params: receiptParams,
        response: { 200: receiptSchema, ...errorResponses(404) },
      },
      config: { gate: { action: 'read', resource: receipt('internal') } },
    },
    (request) => withProof(found.get(request)!),
  );

  app.get<{ Params: { id: string }; Querystring: { fields: string } }>(
    '/v1/provenance/receipts/:id/disclose',
    {
      schema: {
        operationId: 'discloseReceipt',
        summary: 'Disclose hidden fields of a receipt',
        description:
          'A redacted proof: the receipt as `getReceipt` answers it, with the disclosures of only the chosen hidden fields (their salted digests in the signed payload prove ' +
          'they are the signed ones). Decided as a read of confidential data; a field the receipt does not hide answers 400 QUERY_INVALID. Not receipted.',
        tags: ['provenance'],
        params: receiptParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['fields'],
          properties: { fields: { type: 'string', maxLength: 1000, description: 'Comma-separated names of hidden fields, e.g. `rationale_category,rationale`.' } },
        },
        response: { 200: disclosedReceiptSchema, ...errorResponses(404) },
      },
      config: { gate: { action: 'read', resource: receipt('confidential') } },
    },
    async (request) => {
      const entry = found.get(request)!;
      const wanted = new Set(request.query.fields.split(',').map((f) => f.trim()).filter(Boolean));
      const byName = new Map(entry.disclosures.map((d) => [(JSON.parse(Buffer.from(d, 'base64url').toString('utf8')) as [string, string, unknown])[1], d]));
      const unknown = [...wanted].filter((name) => !byName.has(name));
      if (unknown.length > 0) throw new DomainError('QUERY_INVALID', `The receipt hides no field ${unknown.join(', ')}; it hides ${[...byName.keys()].join(', ') || 'nothing'}.`);
      return { ...(await withProof(entry)), disclosures: [...wanted].map((name) => byName.get(name)!) };
    },
  );

  app.get(
    '/v1/provenance/checkpoint',
    {
      schema: {
        operationId: 'getCheckpoint',
        summary: "Read the tenant log's latest checkpoint",
        description: "The caller's tenant's ledger as it is now: its size and root hash, signed as a C2SP checkpoint note. Decided as a read. Not receipted.",
        tags: ['provenance'],
        response: { 200: checkpointSchema },
      },
      config: { gate: { action: 'read', resource: own('Ledger') } },
    },
    async (request) => {
      const tenant = request.principal!.tenant;
      const checkpoint = await deps.ledger.checkpoint(tenant);
      return { origin: deps.ledger.origin(tenant), size: checkpoint.size, root_hash: checkpoint.rootHash.toString('base64'), checkpoint: checkpoint.note };
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    '/v1/provenance/purge-manifests',
    {
      schema: {
        operationId: 'listPurgeManifests',
        summary: "List the tenant's purge manifests",
        description:
          "What retention removed from the caller's tenant, week by week (a week that removed nothing has one too): each manifest signed with the ledger key and receipted in " +
          "the tenant's ledger. Only the caller's tenant's manifests are listed. Decided as a read. Not receipted.",
        tags: ['provenance'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'At most this many, newest first.' } },
        },
        response: { 200: purgeManifestsSchema, ...errorResponses(400) },
      },
      config: { gate: { action: 'read', resource: own('PurgeManifest') } },
    },
    async (request) => ({
      manifests: (await readPurgeManifests(deps.stateScope(request.principal!.tenant), request.query.limit)).map((m) => ({
        purge_id: m.purgeId, ran_at: m.ranAt.toISOString(), envelope: m.envelope, receipt_id: m.receiptId,
      })),
    }),
  );

  app.get<{ Querystring: { from: number; to?: number } }>(
    '/v1/provenance/consistency',
    {
      schema: {
        operationId: 'getConsistencyProof',
        summary: 'Prove the tenant log only grew between two sizes',
        description:
          "An RFC 9162 consistency proof between two sizes of the caller's tenant's ledger, with a signed checkpoint at each: the later log contains the earlier one unchanged. " +
          'Sizes outside the log answer 400 LEDGER_RANGE_INVALID. Decided as a read. Not receipted.',
        tags: ['provenance'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from'],
          properties: {
            from: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The earlier size.' },
            to: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: "The later size; the log's size when absent." },
          },
        },
        response: { 200: consistencySchema },
      },
      config: { gate: { action: 'read', resource: own('Ledger') } },
    },
    async (request) => {
      const tenant = request.principal!.tenant;
      const size = await deps.ledger.size(tenant);
      const to = request.query.to ?? size;
      const { from } = request.query;
      if (from > to || to > size) throw new DomainError('LEDGER_RANGE_INVALID', `Need 1 ≤ from ≤ to ≤ ${size} (the log's size); got from=${from}, to=${to}.`);
      const [first, second] = [await deps.ledger.checkpoint(tenant, from), await deps.ledger.checkpoint(tenant, to)];
      return {
        size1: from,
        size2: to,
        hashes: (await deps.ledger.consistencyProof(tenant, from, to)).map((h) => h.toString('base64')),
        checkpoint1: first.note,
        checkpoint2: second.note,
      };
    },
  );

  app.post<{ Body: { receipt_id?: string; items: unknown } }>(
    '/v1/provenance/evidence',
    {
      schema: {
        operationId: 'attachEvidence',
        summary: 'Attach evidence',
        description:
          'Attaches evidence (hashes of files and transcripts; optionally their bytes, base64) to a receipt of the tenant, or as a new bundle whose ids an approval can cite ' +
          '(admins, operators, auditors, approvers). Privileged: the answer carries the receipt of the attaching call, which carries the evidence hashes.',
        tags: ['provenance'],
        body: evidenceBodySchema,
        response: { 201: evidenceAttachedSchema, ...errorResponses(404) },
      },
      schemaErrorFormatter: bodyErrorsAs({ '/items/': 'EVIDENCE_INVALID' }),
      config: {
        gate: {
          privileged: true,
          action: 'attach_evidence',
          resource: async (request) => {
            const { receipt_id, items } = request.body as { receipt_id?: string; items: unknown };
            checkEvidenceItems(items);
            if (receipt_id && !(await deps.ledger.entryByReceipt(request.principal!.tenant, receipt_id))) {
              throw new DomainError('RECEIPT_NOT_FOUND', `No receipt ${receipt_id} in this tenant's ledger.`);
            }
            return own('Evidence')(request);
          },
        },
      },
    },
    async (request, reply) => {
      const tenant = request.principal!.tenant;
      const draft = request.receipt!;
      const bundle = await deps.evidence.attach(tenant, checkEvidenceItems(request.body.items), request.body.receipt_id, draft.id, request.gate!.principalId);
      draft.evidenceRefs = bundle.items.map((item) => ({ id: item.id, sha256: item.sha256 }));
      draft.target = { name: `evidence/${bundle.bundleId}`, sha256: createHash('sha256').update(bundle.items.map((i) => i.sha256).join('\n')).digest('hex') };
      draft.rollback = () => deps.evidence.rollback(tenant, bundle, `rollback:${draft.id}`);
      return reply.code(201).send({
        bundle_id: bundle.bundleId,
        attached_to: bundle.receiptId ?? null,
        items: bundle.items.map(({ id, kind, name, sha256 }) => ({ id, kind, name, sha256 })),
        receipt_id: draft.id,
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/provenance/bundles/:id',
    {
      schema: {
        operationId: 'getBundle',
        summary: 'Export an evidence bundle',
        description:
          'Everything `companyos ledger verify BUNDLE --key PUBKEY` needs offline, by bundle id, evidence id or receipt id: the receipts (the one named, the one the evidence backs, ' +
          'the one that attached it) with inclusion proofs, the checkpoint, consistency from the previous one, and the evidence. Decided as a read of confidential data. Not receipted.',
        tags: ['provenance'],
        params: idParams('A bundle id (`bundle_id`), an evidence id, or a receipt id.'),
        response: { 200: bundleSchema, ...errorResponses(404) },
      },
      config: { gate: { action: 'read', resource: own('EvidenceBundle', 'confidential') } },
    },
    async (request, reply) => {
      const tenant = request.principal!.tenant;
      const { id } = request.params;
      const attached = await deps.evidence.find(tenant, id);
      // The receipt asked for, the one the evidence backs, and the one that attached it: all verifiable together.
      const receiptIds = [...new Set([id.startsWith('rcpt-') ? id : undefined, attached?.receiptId, attached?.attachReceiptId].filter((r): r is string => Boolean(r)))];
      const entries = await deps.ledger.entries(tenant, receiptIds);
      if (entries.length === 0 && !attached) throw new DomainError('BUNDLE_NOT_FOUND', `Nothing called ${id} in this tenant's ledger.`);
      const bundle = await exportBundle(deps.ledger, deps.evidence, tenant, attached?.bundleId ?? id, entries, attached?.items ?? []);
      return reply.header('content-disposition', `attachment; filename="${id}.bundle.json"`).send(bundle);
    },
  );

  app.get(
    '/v1/provenance/keys',
    {
      schema: {
        operationId: 'listKeys',
        summary: 'List the ledger public keys',
        description:
          'The keys receipts and checkpoints are signed with, current and retired, as C2SP verifier keys (also in $COMPANYOS_DATA_DIR/keys/<keyid>.pub): what a verifier needs ' +
          'besides a bundle. Any valid token; the keys are the same for every tenant. Not receipted.',
        tags: ['provenance'],
        response: { 200: keysSchema },
      },
    },
    () => ({
      keys: deps.ledger.keyring.all().map((key) => ({
        key_id: key.keyId,
        name: key.name,
        verifier_key: formatVerifierKey(key),
        active: key.keyId === deps.ledger.keyring.active.keyId,
        created_at: key.createdAt ?? null,
        retired_at: key.retiredAt ?? null,
      })),
    }),
  );
}
