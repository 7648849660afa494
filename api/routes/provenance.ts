import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatVerifierKey } from '../../ledger/index.ts';
import type { ResourceAttributes } from '../../policies/engine.ts';
import { ApiError } from '../errors.ts';
import { exportBundle, proofJson } from '../provenance/bundle-export.ts';
import { checkEvidenceItems, type EvidenceStore } from '../provenance/evidence-store.ts';
import type { LedgerStore, StoredEntry } from '../provenance/ledger-store.ts';
import { created, gatedErrorReplies } from '../route-schemas.ts';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 128 } } } as const;
const found = new WeakMap<FastifyRequest, StoredEntry>();

/** Receipts, proofs, checkpoints, evidence and keys: what an auditor needs to check the ledger without trusting the server. */
export function provenanceRoutes(app: FastifyInstance, deps: { ledger: LedgerStore; evidence: EvidenceStore; region: string }): void {
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
    if (!entry) throw new ApiError('RECEIPT_NOT_FOUND', `No receipt ${id}.`);
    found.set(request, entry);
    return { id, tenant: entry.tenant, kind: 'Receipt', data_class: dataClass, region: deps.region };
  };

  const withProof = async (entry: StoredEntry) => {
    const checkpoint = await deps.ledger.checkpoint(entry.tenant);
    const hashes = await deps.ledger.inclusionProof(entry.tenant, entry.logIndex, checkpoint.size);
    return {
      receiptId: entry.receiptId,
      logIndex: entry.logIndex,
      entry: entry.entry,
      envelope: JSON.parse(entry.entry) as unknown,
      inclusionProof: proofJson(entry.logIndex, checkpoint.size, checkpoint.rootHash, hashes),
      checkpoint: checkpoint.note,
    };
  };

  app.get<{ Params: { id: string } }>(
    '/v1/provenance/receipts/:id',
    {
      schema: { summary: 'A receipt: its DSSE envelope, its inclusion proof and the signed checkpoint the proof is against (hidden fields stay hidden)', tags: ['provenance'], params: idParams, response: gatedErrorReplies },
      config: { gate: { action: 'read', resource: receipt('internal') } },
    },
    (request) => withProof(found.get(request)!),
  );

  app.get<{ Params: { id: string }; Querystring: { fields: string } }>(
    '/v1/provenance/receipts/:id/disclose',
    {
      schema: {
        summary: 'A redacted proof: the receipt with only the chosen hidden fields disclosed (salted digests prove they are the signed ones)',
        tags: ['provenance'],
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, required: ['fields'], properties: { fields: { type: 'string', maxLength: 1000, description: 'Comma-separated field names.' } } },
        response: gatedErrorReplies,
      },
      config: { gate: { action: 'read', resource: receipt('confidential') } },
    },
    async (request) => {
      const entry = found.get(request)!;
      const wanted = new Set(request.query.fields.split(',').map((f) => f.trim()).filter(Boolean));
      const byName = new Map(entry.disclosures.map((d) => [(JSON.parse(Buffer.from(d, 'base64url').toString('utf8')) as [string, string, unknown])[1], d]));
      const unknown = [...wanted].filter((name) => !byName.has(name));
      if (unknown.length > 0) throw new ApiError('QUERY_INVALID', `The receipt hides no field ${unknown.join(', ')}; it hides ${[...byName.keys()].join(', ') || 'nothing'}.`);
      return { ...(await withProof(entry)), disclosures: [...wanted].map((name) => byName.get(name)!) };
    },
  );

  app.get(
    '/v1/provenance/checkpoint',
    {
      schema: { summary: "The tenant log's latest signed checkpoint (C2SP signed note)", tags: ['provenance'], response: gatedErrorReplies },
      config: { gate: { action: 'read', resource: own('Ledger') } },
    },
    async (request) => {
      const tenant = request.principal!.tenant;
      const checkpoint = await deps.ledger.checkpoint(tenant);
      return { origin: deps.ledger.origin(tenant), size: checkpoint.size, rootHash: checkpoint.rootHash.toString('base64'), checkpoint: checkpoint.note };
    },
  );

  app.get<{ Querystring: { from: number; to?: number } }>(
    '/v1/provenance/consistency',
    {
      schema: {
        summary: 'A consistency proof between two sizes of the tenant log, with a signed checkpoint at each',
        tags: ['provenance'],
        querystring: { type: 'object', additionalProperties: false, required: ['from'], properties: { from: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }, to: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } } },
        response: gatedErrorReplies,
      },
      config: { gate: { action: 'read', resource: own('Ledger') } },
    },
    async (request) => {
      const tenant = request.principal!.tenant;
      const size = await deps.ledger.size(tenant);
      const to = request.query.to ?? size;
      const { from } = request.query;
      if (from > to || to > size) throw new ApiError('LEDGER_RANGE_INVALID', `Need 1 ≤ from ≤ to ≤ ${size} (the log's size); got from=${from}, to=${to}.`);
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

  app.post<{ Body: { receiptId?: string; items: unknown } }>(
    '/v1/provenance/evidence',
    {
      schema: {
        summary: 'Attach evidence (hashes of files and transcripts; optionally their bytes, base64) to a receipt or as a new bundle (privileged: receipted)',
        tags: ['provenance'],
        body: { type: 'object', additionalProperties: false, required: ['items'], properties: { receiptId: { type: 'string', maxLength: 128 }, items: { type: 'array' } } },
        response: { ...created, ...gatedErrorReplies },
      },
      config: {
        gate: {
          privileged: true,
          action: 'attach_evidence',
          resource: async (request) => {
            const { receiptId, items } = request.body as { receiptId?: string; items: unknown };
            checkEvidenceItems(items);
            if (receiptId && !(await deps.ledger.entryByReceipt(request.principal!.tenant, receiptId))) {
              throw new ApiError('RECEIPT_NOT_FOUND', `No receipt ${receiptId} in this tenant's ledger.`);
            }
            return own('Evidence')(request);
          },
        },
      },
    },
    async (request, reply) => {
      const tenant = request.principal!.tenant;
      const draft = request.receipt!;
      const bundle = await deps.evidence.attach(tenant, checkEvidenceItems(request.body.items), request.body.receiptId, draft.id, request.gate!.principalId);
      draft.evidenceRefs = bundle.items.map((item) => ({ id: item.id, sha256: item.sha256 }));
      draft.target = { name: `evidence/${bundle.bundleId}`, sha256: createHash('sha256').update(bundle.items.map((i) => i.sha256).join('\n')).digest('hex') };
      draft.rollback = () => deps.evidence.rollback(tenant, bundle, `rollback:${draft.id}`);
      return reply.code(201).send({
        bundleId: bundle.bundleId,
        attachedTo: bundle.receiptId ?? null,
        items: bundle.items.map(({ id, kind, name, sha256 }) => ({ id, kind, name, sha256 })),
        receiptId: draft.id,
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/provenance/bundles/:id',
    {
      schema: { summary: 'Export an evidence bundle (by bundle id or receipt id) for `companyos ledger verify BUNDLE --key PUBKEY`', tags: ['provenance'], params: idParams, response: gatedErrorReplies },
      config: { gate: { action: 'read', resource: own('EvidenceBundle', 'confidential') } },
    },
    async (request, reply) => {
      const tenant = request.principal!.tenant;
      const { id } = request.params;
      const attached = await deps.evidence.find(tenant, id);
      // The receipt asked for, the one the evidence backs, and the one that attached it: all verifiable together.
      const receiptIds = [...new Set([id.startsWith('rcpt-') ? id : undefined, attached?.receiptId, attached?.attachReceiptId].filter((r): r is string => Boolean(r)))];
      const entries = await deps.ledger.entries(tenant, receiptIds);
      if (entries.length === 0 && !attached) throw new ApiError('BUNDLE_NOT_FOUND', `Nothing called ${id} in this tenant's ledger.`);
      const bundle = await exportBundle(deps.ledger, deps.evidence, tenant, attached?.bundleId ?? id, entries, attached?.items ?? []);
      return reply.header('content-disposition', `attachment; filename="${id}.bundle.json"`).send(bundle);
    },
  );

  app.get(
    '/v1/provenance/keys',
    { schema: { summary: 'The ledger public keys, current and retired, as C2SP verifier keys (also in $COMPANYOS_DATA_DIR/keys/<keyid>.pub)', tags: ['provenance'], response: gatedErrorReplies } },
    () => ({
      keys: deps.ledger.keyring.all().map((key) => ({
        keyId: key.keyId,
        name: key.name,
        verifierKey: formatVerifierKey(key),
        active: key.keyId === deps.ledger.keyring.active.keyId,
        createdAt: key.createdAt ?? null,
        retiredAt: key.retiredAt ?? null,
      })),
    }),
  );
}
