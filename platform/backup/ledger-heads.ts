import { rootFromLeafHashes } from '../../kernel/ledger/index.ts';
import type { LedgerHead } from './backup-manifest.ts';

/** Each tenant's log size and root from its leaf hashes, given in (tenant, log index) order. */
export function ledgerHeads(rows: readonly Record<string, unknown>[]): Record<string, LedgerHead> {
  const leaves = new Map<string, Buffer[]>();
  for (const row of rows) {
    const tenant = String(row.tenant_id);
    let list = leaves.get(tenant);
    if (!list) leaves.set(tenant, (list = []));
    list.push(Buffer.from(String(row.leaf_hash), 'hex'));
  }
  return Object.fromEntries([...leaves].map(([tenant, hashes]) => [tenant, { size: hashes.length, rootHash: rootFromLeafHashes(hashes).toString('hex') }]));
}
