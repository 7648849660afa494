import type { Logger } from '../../kernel/log/index.ts';
import { hashLeaf, MerkleTree, signCheckpoint, type Keyring } from '../../kernel/ledger/index.ts';
import type { SqlValue, Warehouse } from '../../kernel/warehouse/index.ts';
import { columnNames } from '../../kernel/warehouse/index.ts';

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

interface Pending {
  entry: { receiptId: string; text: string; disclosures: string[]; keyId: string };
  resolve(index: number): void;
  reject(error: unknown): void;
}

const ENTRY_COLUMNS = columnNames('ledger_entries');
const CHECKPOINT_COLUMNS = columnNames('ledger_checkpoints');
/** Receipts kept in memory after they are appended, for fetches that follow. */
const RECENT_RECEIPTS = 50_000;
const PERSIST_EVERY_MS = 1_000;

/**
 * The per-tenant append-only logs, stored in the warehouse (`ledger_entries`)
 * with each tenant's Merkle tree in memory for O(log n) proofs. Appends to one
 * tenant's log are group-committed in order: what queues while a write is in
 * flight goes out as the next write, with consecutive indexes. This process is
 * the logs' only writer.
 */
export class LedgerStore {
  private readonly trees = new Map<string, Promise<MerkleTree>>();
  private readonly queues = new Map<string, Pending[]>();
  private readonly draining = new Set<string>();
  private readonly recent = new Map<string, StoredEntry>();
  private readonly latest = new Map<string, SignedCheckpoint & { keyId: string }>();
  private readonly persisted = new Map<string, Promise<Set<number>>>();
  private appended = 0;
  private readonly persisting = new Set<Promise<void>>();
  private readonly lastPersisted = new Map<string, number>();

  constructor(
    private readonly warehouse: Warehouse,
    readonly keyring: Keyring,
    private readonly log: Pick<Logger, 'error'> = console,
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
  append(tenant: string, entry: Pending['entry']): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const queue = this.queues.get(tenant) ?? [];
      queue.push({ entry, resolve, reject });
      this.queues.set(tenant, queue);
      if (!this.draining.has(tenant)) void this.drain(tenant);
    });
  }

  private async drain(tenant: string): Promise<void> {
    this.draining.add(tenant);
    const queue = this.queues.get(tenant)!;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0);
        try {
          const tree = await this.tree(tenant);
          const at = new Date();
          const leaves = batch.map((p) => hashLeaf(p.entry.text));
          const entries = batch.map((p, i): StoredEntry => ({
            tenant, logIndex: tree.size + i, receiptId: p.entry.receiptId, entry: p.entry.text, disclosures: p.entry.disclosures, keyId: p.entry.keyId, appendedAt: at,
          }));
          await this.warehouse.insert(
            'ledger_entries',
            ENTRY_COLUMNS,
            entries.map((e, i) => [tenant, e.logIndex, e.receiptId, e.entry, leaves[i]!.toString('hex'), JSON.stringify(e.disclosures), e.keyId, at]),
          );
          leaves.forEach((leaf) => tree.append(leaf));
          this.appended += batch.length;
          entries.forEach((e, i) => {
            this.remember(e);
            batch[i]!.resolve(e.logIndex);
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.draining.delete(tenant);
    }
  }

  async size(tenant: string): Promise<number> {
    return (await this.tree(tenant)).size;
  }

  /** The receipt in `tenant`'s log; undefined when that log has none by this id (whatever other logs hold). */
  async entryByReceipt(tenant: string, receiptId: string): Promise<StoredEntry | undefined> {
    const recent = this.recent.get(receiptKey(tenant, receiptId));
    if (recent) return recent;
    const [row] = await this.warehouse.query('SELECT * FROM ledger_entries WHERE tenant_id = ? AND receipt_id = ? LIMIT 1', [tenant, receiptId]);
    return row && toEntry(row);
  }

  /** A receipt in whichever tenant's log holds it: for operators' tools, never for a tenant's request. */
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

  /**
   * A signed checkpoint of the log as it is now (or at `size`). Ed25519 signs
   * deterministically, so signing a size again gives the same note; at most one
   * a second per tenant is also stored (in the background), as an anchor for
   * later consistency proofs.
   */
  async checkpoint(tenant: string, size?: number): Promise<SignedCheckpoint> {
    const tree = await this.tree(tenant);
    const at = size ?? tree.size;
    const latest = this.latest.get(tenant);
    const key = this.keyring.active;
    if (latest?.size === at && latest.keyId === key.keyId) return latest;
    const rootHash = tree.root(at);
    const checkpoint = { size: at, rootHash, note: signCheckpoint({ origin: this.origin(tenant), size: at, rootHash }, key) };
    if (at === tree.size) this.latest.set(tenant, { ...checkpoint, keyId: key.keyId });
    // A stored checkpoint is an anchor for later consistency proofs: one a second per tenant is plenty.
    if (Date.now() - (this.lastPersisted.get(tenant) ?? 0) < PERSIST_EVERY_MS) return checkpoint;
    this.lastPersisted.set(tenant, Date.now());
    const persisting = this.persist(tenant, checkpoint, key.keyId);
    this.persisting.add(persisting);
    void persisting.then(() => this.persisting.delete(persisting));
    return checkpoint;
  }

  /** Waits for checkpoints still being stored. */
  async close(): Promise<void> {
    await Promise.all(this.persisting);
  }

  /** The largest checkpoint stored before `size`, if any: what a verifier saw earlier. */
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

  private async persist(tenant: string, checkpoint: SignedCheckpoint, keyId: string): Promise<void> {
    try {
      let stored = this.persisted.get(tenant);
      if (!stored) {
        stored = this.warehouse
          .query<{ tree_size: SqlValue }>('SELECT tree_size FROM ledger_checkpoints WHERE tenant_id = ?', [tenant])
          .then((rows) => new Set(rows.map((r) => Number(r.tree_size))));
        this.persisted.set(tenant, stored);
      }
      const sizes = await stored;
      if (sizes.has(checkpoint.size)) return;
      sizes.add(checkpoint.size);
      await this.warehouse.insert('ledger_checkpoints', CHECKPOINT_COLUMNS, [
        [tenant, checkpoint.size, checkpoint.rootHash.toString('base64'), checkpoint.note, keyId, new Date()],
      ]).catch((error: unknown) => {
        sizes.delete(checkpoint.size);
        throw error;
      });
    } catch (error) {
      // A checkpoint not stored is only a missed consistency anchor: it can be signed again, identically.
      this.persisted.delete(tenant);
      this.log.error({ err: error, tenant, size: checkpoint.size }, 'could not store a signed checkpoint');
    }
  }

  private remember(entry: StoredEntry): void {
    this.recent.set(receiptKey(entry.tenant, entry.receiptId), entry);
    if (this.recent.size > RECENT_RECEIPTS) this.recent.delete(this.recent.keys().next().value!);
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
}

function receiptKey(tenant: string, receiptId: string): string {
  return `${tenant}\u0000${receiptId}`;
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
