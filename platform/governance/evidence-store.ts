import { timeOrderedId } from '../../kernel/ids/index.ts';
import { createHash } from 'node:crypto';
import type { StateStore } from '../../kernel/state/index.ts';
import { DomainError } from '../../kernel/errors/index.ts';

export interface EvidenceItem {
  id: string;
  kind: 'file' | 'transcript';
  name: string;
  sha256: string;
  sizeBytes?: number;
  /** The bytes, base64, when they were uploaded rather than only hashed. */
  content?: string;
}

export interface EvidenceBundle {
  bundleId: string;
  /** The receipt the evidence backs, when it was attached to one. */
  receiptId?: string;
  /** The receipt of the call that attached it. */
  attachReceiptId: string;
  items: EvidenceItem[];
}

const MAX_CONTENT_BYTES = 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Checks `POST /v1/provenance/evidence` items: a hash, or content to hash (then the hash given must match it). */
export function checkEvidenceItems(items: unknown): Omit<EvidenceItem, 'id'>[] {
  if (!Array.isArray(items) || items.length === 0 || items.length > 100) throw new DomainError('EVIDENCE_INVALID', 'Send 1–100 items.');
  return items.map((value, index) => {
    const item = value as Record<string, unknown>;
    const where = `items[${index}]`;
    if (item?.kind !== 'file' && item?.kind !== 'transcript') throw new DomainError('EVIDENCE_INVALID', `${where}.kind must be "file" or "transcript".`);
    if (typeof item.name !== 'string' || item.name.length === 0 || item.name.length > 500) throw new DomainError('EVIDENCE_INVALID', `${where}.name must be 1–500 characters.`);
    let sha256 = typeof item.sha256 === 'string' ? item.sha256.toLowerCase() : undefined;
    let sizeBytes: number | undefined;
    if (item.content !== undefined) {
      if (typeof item.content !== 'string') throw new DomainError('EVIDENCE_INVALID', `${where}.content must be base64 text.`);
      const bytes = Buffer.from(item.content, 'base64');
      if (bytes.length > MAX_CONTENT_BYTES) throw new DomainError('EVIDENCE_INVALID', `${where}.content is over ${MAX_CONTENT_BYTES} bytes; send its sha256 only.`);
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (sha256 && sha256 !== actual) throw new DomainError('EVIDENCE_INVALID', `${where}.sha256 is not the hash of its content (${actual}).`);
      sha256 = actual;
      sizeBytes = bytes.length;
    }
    if (!sha256 || !SHA256_HEX.test(sha256)) throw new DomainError('EVIDENCE_INVALID', `${where}.sha256 must be 64 hex digits (or send content).`);
    return { kind: item.kind, name: item.name, sha256, sizeBytes, content: typeof item.content === 'string' ? item.content : undefined };
  });
}

/** Evidence attached to a tenant's receipts, grouped in bundles. */
export class EvidenceStore {
  constructor(private readonly state: StateStore) {}

  async attach(tenant: string, items: Omit<EvidenceItem, 'id'>[], receiptId: string | undefined, attachReceiptId: string, by: string): Promise<EvidenceBundle> {
    const bundle: EvidenceBundle = { bundleId: `bundle-${timeOrderedId()}`, receiptId, attachReceiptId, items: items.map((item) => ({ ...item, id: timeOrderedId() })) };
    await this.write(tenant, bundle, by, 'attached');
    return bundle;
  }

  async rollback(tenant: string, bundle: EvidenceBundle, by: string): Promise<void> {
    await this.write(tenant, bundle, by, 'rolled-back');
  }

  /** A bundle by id, or every item attached to a receipt when `id` is a receipt id. */
  async find(tenant: string, id: string): Promise<EvidenceBundle | undefined> {
    const rows = await this.state.query(
      `SELECT * FROM evidence WHERE tenant_id = ? AND (bundle_id = ? OR receipt_id = ? OR evidence_id = ?) AND status = 'attached'
         AND evidence_id NOT IN (SELECT evidence_id FROM evidence WHERE tenant_id = ? AND status = 'rolled-back')
       ORDER BY attached_at, evidence_id`,
      [tenant, id, id, id, tenant],
    );
    if (rows.length === 0) return undefined;
    const first = rows[0]!;
    return {
      bundleId: String(first.bundle_id),
      receiptId: first.receipt_id ? String(first.receipt_id) : undefined,
      attachReceiptId: String(first.attach_receipt_id),
      items: rows.map(toItem),
    };
  }

  /** The items of `ids` that are attached: one whose attach was rolled back (never receipted) is not evidence. */
  async items(tenant: string, ids: readonly string[]): Promise<EvidenceItem[]> {
    if (ids.length === 0) return [];
    const rows = await this.state.query(
      `SELECT * FROM evidence WHERE tenant_id = ? AND evidence_id IN (${ids.map(() => '?').join(', ')}) AND status = 'attached'
         AND evidence_id NOT IN (SELECT evidence_id FROM evidence WHERE tenant_id = ? AND status = 'rolled-back')`,
      [tenant, ...ids, tenant],
    );
    return rows.map(toItem);
  }

  /**
   * Erases the content and name of every item of the tenant whose name or content holds `text`:
   * the item stays (its SHA-256 is what receipts name), marked with the purge. How many went.
   */
  async eraseContaining(tenant: string, text: string, purgeId: string): Promise<number> {
    const rows = await this.state.query<{ evidence_id: string; status: string; name: string; content: string | null }>(
      'SELECT evidence_id, status, name, content FROM evidence WHERE tenant_id = ?',
      [tenant],
    );
    const hit = rows.filter((row) => row.name.includes(text) || (row.content !== null && (row.content.includes(text) || Buffer.from(row.content, 'base64').includes(text))));
    if (hit.length === 0) return 0;
    await this.state.transaction(async (tx) => {
      for (const row of hit) {
        const where = { tenant_id: tenant, evidence_id: row.evidence_id, status: row.status };
        const changed = await tx.compareAndSet('evidence', where, { name: row.name, content: row.content }, { name: `erased by ${purgeId}`, content: null });
        if (!changed) throw new Error(`evidence ${row.evidence_id} changed while it was erased; run the erasure again`);
      }
    });
    return new Set(hit.map((row) => row.evidence_id)).size;
  }

  private async write(tenant: string, bundle: EvidenceBundle, by: string, status: string): Promise<void> {
    const at = new Date();
    await this.state.transaction((tx) => tx.insert('evidence', bundle.items.map((item) => ({
      tenant_id: tenant, evidence_id: item.id, bundle_id: bundle.bundleId, receipt_id: bundle.receiptId ?? null, kind: item.kind, name: item.name,
      sha256: item.sha256, size_bytes: item.sizeBytes ?? null, content: item.content ?? null, attach_receipt_id: bundle.attachReceiptId,
      attached_by: by, attached_at: at, status,
    }))));
  }
}

function toItem(row: Record<string, unknown>): EvidenceItem {
  return {
    id: String(row.evidence_id),
    kind: String(row.kind) as EvidenceItem['kind'],
    name: String(row.name),
    sha256: String(row.sha256),
    sizeBytes: row.size_bytes === null ? undefined : Number(row.size_bytes),
    content: row.content === null ? undefined : String(row.content),
  };
}
