import type { SqlValue } from '../../kernel/warehouse/index.ts';
import { sql, type TenantScope } from '../tenancy/index.ts';

export interface StoredPurgeManifest {
  purgeId: string;
  ranAt: Date;
  /** The signed manifest (a DSSE envelope), as stored and receipted. */
  envelope: unknown;
  /** The receipt in the tenant's ledger that names the envelope's SHA-256. */
  receiptId: string;
}

/** The receipt id of a purge's manifest in a tenant's log. */
export const purgeReceiptId = (purgeId: string) => `purge-${purgeId}`;

/** A tenant's purge manifests, newest first, read through its scope of the state store. */
export async function readPurgeManifests(scope: TenantScope, limit: number): Promise<StoredPurgeManifest[]> {
  const rows = await scope.query<{ purge_id: string; ran_at: Date | string; envelope: SqlValue }>(
    sql`SELECT purge_id, ran_at, envelope FROM ${scope.table('purge_manifests')} ORDER BY ran_at DESC, purge_id DESC LIMIT ${limit}`,
  );
  return rows.map((row) => ({
    purgeId: row.purge_id,
    ranAt: new Date(row.ran_at),
    envelope: typeof row.envelope === 'string' ? JSON.parse(row.envelope) : row.envelope,
    receiptId: purgeReceiptId(row.purge_id),
  }));
}
