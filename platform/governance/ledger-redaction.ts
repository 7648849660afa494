import { parseDisclosure } from '../../kernel/ledger/index.ts';
import type { StateStore } from '../../kernel/state/index.ts';
import type { TableDefinition } from '../../kernel/warehouse/index.ts';
import type { LedgerStore } from './ledger-store.ts';

/** A disclosure erased from a receipt: its digest stays in the signed `_sd`, the value is gone. */
export interface Redaction {
  receiptId: string;
  logIndex: number;
  /** The disclosure's digest (base64url SHA-256), as `_sd` lists it. */
  digest: string;
  /** The hidden field's name, which the manifest keeps (never the value). */
  name: string;
  purgeId: string;
}

/** The redaction markers: which disclosure of which receipt an erasure removed, and by which purge. */
export const LEDGER_REDACTIONS_TABLE: TableDefinition = {
  name: 'ledger_redactions',
  owner: 'platform/governance',
  tenantColumn: 'tenant_id',
  retention: 'audit',
  key: ['tenant_id', 'receipt_id', 'digest'],
  clickhouse: { engine: 'MergeTree' },
  state: { unique: [['tenant_id', 'receipt_id', 'digest']], onlyInStateStore: true },
  columns: [
    { name: 'tenant_id', type: 'text' },
    { name: 'receipt_id', type: 'text' },
    { name: 'log_index', type: 'bigint' },
    { name: 'digest', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'purge_id', type: 'text' },
    { name: 'redacted_at', type: 'timestamp' },
  ],
};

/** Which disclosures a redaction removes: those holding a subject's text (an erasure), or all of receipts appended before a cutoff (retention). */
export type RedactionScope = { holding: string } | { appendedBefore: Date };

/**
 * Removes from the tenant's stored receipts every disclosure `scope` selects, and records a
 * redaction marker for each. The signed entries are not touched — they list only salted digests —
 * so every inclusion and consistency proof holds; what goes is the one thing that links a digest
 * to a value. One transaction; a receipt whose disclosures changed meanwhile fails it.
 */
export async function redactDisclosures(state: StateStore, ledger: LedgerStore, tenant: string, scope: RedactionScope, purgeId: string, at: Date): Promise<Redaction[]> {
  const before = 'appendedBefore' in scope ? scope.appendedBefore : undefined;
  const rows = await state.query<{ receipt_id: string; log_index: bigint | number; disclosures: string }>(
    `SELECT receipt_id, log_index, disclosures FROM ledger_entries WHERE tenant_id = ? AND disclosures <> '[]'${before ? ' AND appended_at < ?' : ''} ORDER BY log_index`,
    before ? [tenant, before] : [tenant],
  );
  const selects = (d: { name: string; value: unknown }) => 'holding' in scope ? d.name.includes(scope.holding) || JSON.stringify(d.value).includes(scope.holding) : true;
  const changes = rows.flatMap((row) => {
    const disclosures = JSON.parse(row.disclosures) as string[];
    const erased = disclosures.map((d) => parseDisclosure(d)).filter(selects);
    if (erased.length === 0) return [];
    const kept = disclosures.filter((d) => !erased.some((e) => parseDisclosure(d).digest === e.digest));
    return [{ row, kept, erased }];
  });
  const redactions = changes.flatMap(({ row, erased }) => erased.map((d): Redaction => ({
    receiptId: row.receipt_id, logIndex: Number(row.log_index), digest: d.digest, name: d.name, purgeId,
  })));
  if (redactions.length === 0) return [];
  await state.transaction(async (tx) => {
    for (const { row, kept } of changes) {
      const changed = await tx.compareAndSet('ledger_entries', { tenant_id: tenant, receipt_id: row.receipt_id }, { disclosures: row.disclosures }, { disclosures: JSON.stringify(kept) });
      if (!changed) throw new Error(`receipt ${row.receipt_id}'s disclosures changed while they were redacted; run the erasure again`);
    }
    await tx.insert(LEDGER_REDACTIONS_TABLE.name, redactions.map((r) => ({
      tenant_id: tenant, receipt_id: r.receiptId, log_index: r.logIndex, digest: r.digest, name: r.name, purge_id: purgeId, redacted_at: at,
    })));
  });
  ledger.forget(tenant, changes.map(({ row }) => row.receipt_id));
  return redactions;
}
