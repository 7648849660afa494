import { hashLeaf, MerkleTree, signCheckpoint, type Keyring } from '../../ledger/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';

export interface StoredEntry {
  tenant: string;
  logIndex: number;
  receiptId: string;
  /** The entry exactly as appended: the DSSE envelope's JSON text. */
  entry: string;
  disclosures: string[];
  keyId: string;
  appendedAt: Date;
}

export interface SignedCheckpoint {
  size: number;
  rootHash: Buffer;
  note: string;
}

const ENTRY_COLUMNS = ['tenant_id', 'log_index', 'receipt_id', 'entry', 'leaf_hash', 'disclosures', 'key_id', 'appended_at'] as const;
const CHECKPOINT_COLUMNS = ['tenant_id', 'tree_size', 'root_hash', 'note', 'key_id', 'signed_at'] as const;

/**
 * The per-tenant append-only logs, stored in the warehouse (`ledger_entries`)
 * with each tenant's Merkle tree kept in memory for O(log n) proofs. Appends to
 * one tenant's log are serialized; this process is the log's only writer.
 */
export class LedgerStore {
  private readonly trees = new Map<string, Promise<MerkleTree>>();
  private readonly tails = new Map<string, Promise<unknown>>();
  private appended = 0;

  constructor(
    private readonly warehouse: Warehouse,
    readonly keyring: Keyring,
    private readonly originPrefix = 'companyos.dev/ledger',
  ) {}

  /** Entries appended by this process. */
  get appendCount(): number {
    return this.appended;
  }

  origin(tenant: string): string {
    return `${this.originPrefix}/${tenant}`;
  }

  /** Appends one entry; resolves with its index once it is stored. Throws, appending nothing, when the warehouse refuses. */
  append(tenant: string, entry: { receiptId: string; text: string; disclosures: string[]; keyId: string }): Promise<number> {
    return this.serialized(tenant, async () => {
      const tree = await this.tree(tenant);
      const leaf = hashLeaf(entry.text);
      const index = tree.size;
      await this.warehouse.insert('ledger_entries', ENTRY_COLUMNS, [
        [tenant, index, entry.receiptId, entry.text, leaf.toString('hex'), JSON.stringify(entry.disclosures), entry.keyId, new Date()],
      ]);
      tree.append(leaf);
      this.appended += 1;
      return index;
    });
  }

  async size(tenant: string): Promise<number> {
    return (await this.tree(tenant)).size;
  }

  async entryByReceipt(tenant: string, receiptId: string): Promise<StoredEntry | undefined> {
    const [row] = await this.warehouse.query('SELECT * FROM ledger_entries WHERE tenant_id = ? AND receipt_id = ? LIMIT 1', [tenant, receiptId]);
    return row && toEntry(row);
  }

  /** A receipt in whichever tenant's log holds it. */
  async findReceipt(receiptId: string): Promise<StoredEntry | undefined> {
    const [row] = await this.warehouse.query('SELECT * FROM ledger_entries WHERE receipt_id = ? LIMIT 1', [receiptId]);
    return row && toEntry(row);
  }

  async entries(tenant: string, receiptIds: readonly string[]): Promise<StoredEntry[]> {
    if (receiptIds.length === 0) return [];
    const rows = await this.warehouse.query(
      `SELECT * FROM ledger_entries WHERE tenant_id = ? AND receipt_id IN (${receiptIds.map(() => '?').join(', ')}) ORDER BY log_index`,
      [tenant, ...receiptIds],
    );
    return rows.map(toEntry);
  }

  /** A signed checkpoint of the log as it is now (or at `size`), stored the first time a size is signed. */
  checkpoint(tenant: string, size?: number): Promise<SignedCheckpoint> {
    return this.serialized(tenant, async () => {
      const tree = await this.tree(tenant);
      const at = size ?? tree.size;
      const [stored] = await this.warehouse.query('SELECT note FROM ledger_checkpoints WHERE tenant_id = ? AND tree_size = ? LIMIT 1', [tenant, at]);
      const rootHash = tree.root(at);
      if (stored) return { size: at, rootHash, note: String(stored.note) };
      const key = this.keyring.active;
      const note = signCheckpoint({ origin: this.origin(tenant), size: at, rootHash }, key);
      await this.warehouse.insert('ledger_checkpoints', CHECKPOINT_COLUMNS, [[tenant, at, rootHash.toString('base64'), note, key.keyId, new Date()]]);
      return { size: at, rootHash, note };
    });
  }

  /** The largest checkpoint signed before `size`, if any: what a verifier saw earlier. */
  async previousCheckpoint(tenant: string, size: number): Promise<SignedCheckpoint | undefined> {
    const [row] = await this.warehouse.query(
      'SELECT tree_size, root_hash, note FROM ledger_checkpoints WHERE tenant_id = ? AND tree_size < ? AND tree_size > 0 ORDER BY tree_size DESC LIMIT 1',
      [tenant, size],
    );
    return row && { size: Number(row.tree_size), rootHash: Buffer.from(String(row.root_hash), 'base64'), note: String(row.note) };
  }

  async inclusionProof(tenant: string, logIndex: number, size: number): Promise<Buffer[]> {
    return (await this.tree(tenant)).inclusionProof(logIndex, size);
  }

  async consistencyProof(tenant: string, size1: number, size2: number): Promise<Buffer[]> {
    return (await this.tree(tenant)).consistencyProof(size1, size2);
  }

  private tree(tenant: string): Promise<MerkleTree> {
    let tree = this.trees.get(tenant);
    if (!tree) {
      tree = this.warehouse
        .query<{ leaf_hash: string }>('SELECT leaf_hash FROM ledger_entries WHERE tenant_id = ? ORDER BY log_index', [tenant])
        .then((rows) => MerkleTree.fromLeafHashes(rows.map((row) => Buffer.from(row.leaf_hash, 'hex'))));
      // A failed load is retried by the next caller, not cached.
      tree.catch(() => this.trees.delete(tenant));
      this.trees.set(tenant, tree);
    }
    return tree;
  }

  private serialized<T>(tenant: string, work: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(tenant) ?? Promise.resolve()).then(work, work);
    this.tails.set(tenant, run.catch(() => undefined));
    return run;
  }
}

function toEntry(row: Record<string, unknown>): StoredEntry {
  return {
    tenant: String(row.tenant_id),
    logIndex: Number(row.log_index),
    receiptId: String(row.receipt_id),
    entry: String(row.entry),
    disclosures: JSON.parse(String(row.disclosures)) as string[],
    keyId: String(row.key_id),
    appendedAt: row.appended_at as Date,
  };
}
