import type { Logger } from '../../kernel/log/index.ts';
import { hashLeaf, MerkleTree, signCheckpoint, type Keyring } from '../../kernel/ledger/index.ts';
import { DomainError } from '../../kernel/errors/index.ts';
import type { StateReader, StateStore, StateTransaction } from '../../kernel/state/index.ts';
import type { SqlValue } from '../../kernel/warehouse/index.ts';

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

/** A signed receipt to append: its DSSE envelope's JSON text and its disclosures. */
export interface AppendEntry {
  receiptId: string;
  text: string;
  disclosures: string[];
  keyId: string;
}

interface Pending {
  tenant: string;
  entry: AppendEntry;
  resolve(index: number): void;
  reject(error: unknown): void;
}

/** Tries at appending one batch whose receipts other writers keep appending first. */
const APPEND_ATTEMPTS = 5;
/** Receipts kept in memory after they are appended, for fetches that follow. */
const RECENT_RECEIPTS = 50_000;
const PERSIST_EVERY_MS = 1_000;
/** Every receipted request waits on the ledger's writes, one after another: each commits at once, not in a group. */
const ALONE = { alone: true } as const;

/**
 * The per-tenant append-only logs, kept in the state store (`ledger_entries`)
 * with each tenant's Merkle tree in memory for O(log n) proofs. A log's indexes
 * come from the state store's sequence `ledger/<tenant>`, held by the appending
 * transaction until it ends: any number of writers (replicas on PostgreSQL) append
 * without forks or holes. A privileged action appends its receipt in its own
 * transaction (`appendIn`); other receipts queue (`append`) and are group-committed,
 * the logs of all tenants together. The unique key (tenant, receipt id) makes an
 * append idempotent: a receipt already in the log (a retry after a lost answer)
 * resolves to where it is and adds nothing.
 */
export class LedgerStore {
  private readonly trees = new Map<string, Promise<MerkleTree>>();
  /** Per tenant, committed leaves above its tree's size (see `committed`). */
  private readonly early = new Map<string, Map<number, Buffer>>();
  private readonly queue: Pending[] = [];
  private draining = false;
  private readonly recent = new Map<string, StoredEntry>();
  private readonly latest = new Map<string, SignedCheckpoint & { keyId: string }>();
  private readonly persisted = new Map<string, Promise<Set<number>>>();
  private appended = 0;
  private readonly persisting = new Set<Promise<void>>();
  private readonly lastPersisted = new Map<string, number>();

  constructor(
    private readonly state: StateStore,
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

  /** Appends one entry; resolves with its index once it is stored. Throws, appending nothing, when the state store refuses. */
  append(tenant: string, entry: AppendEntry): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ tenant, entry, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  /**
   * One write at a time, for every tenant: what queues while a write is in flight goes out as the
   * next one, each tenant's entries at the head of its own log. A commit costs DuckDB far more than
   * the rows in it, so the logs of many tenants share one.
   */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      // Entries appended in the same turn (a run's two transitions) go out as one write.
      await Promise.resolve();
      while (this.queue.length > 0) {
        const byTenant = new Map<string, Pending[]>();
        for (const pending of this.queue.splice(0)) {
          const waiting = byTenant.get(pending.tenant);
          if (waiting) waiting.push(pending);
          else byTenant.set(pending.tenant, [pending]);
        }
        await this.storeAll(byTenant);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Stores every tenant's batch in one write; when that fails, each tenant's on its own, so one tenant's failure is only its own. */
  private async storeAll(byTenant: ReadonlyMap<string, Pending[]>): Promise<void> {
    // A receipt appended twice at once (a retry beside the first try) is written once; both learn where.
    const unique = (batch: Pending[]) => [...new Map(batch.map((p) => [p.entry.receiptId, p.entry])).values()];
    const settle = (batch: Pending[], stored: ReadonlyMap<string, StoredEntry>) => {
      for (const pending of batch) pending.resolve(stored.get(pending.entry.receiptId)!.logIndex);
    };
    if (byTenant.size > 1) {
      const batches = [...byTenant].sort(([a], [b]) => (a < b ? -1 : 1)).map(([tenant, batch]) => [tenant, unique(batch)] as const);
      const stored = new Map<string, Map<string, StoredEntry>>();
      const together = await this.state.transaction(async (tx) => {
        for (const [tenant, batch] of batches) await this.appendIn(tx, tenant, batch, (entries) => stored.set(tenant, byReceipt(entries)));
        return stored;
      }, ALONE).catch(() => undefined);
      if (together) {
        for (const [tenant, batch] of byTenant) settle(batch, together.get(tenant)!);
        return;
      }
    }
    await Promise.all([...byTenant].map(async ([tenant, batch]) => {
      try {
        settle(batch, await this.store(tenant, unique(batch)));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }));
  }

  /** Writes `batch` at the head of the tenant's log; answers where each receipt is (where it already was, for one appended before). */
  private async store(tenant: string, batch: readonly AppendEntry[]): Promise<Map<string, StoredEntry>> {
    const placed = new Map<string, StoredEntry>();
    let todo = batch;
    for (let attempt = 1; todo.length > 0; attempt++) {
      try {
        await this.state.transaction((tx) => this.appendIn(tx, tenant, todo, (entries) => {
          for (const entry of entries) placed.set(entry.receiptId, entry);
        }), ALONE);
        todo = [];
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'STATE_CONFLICT') || attempt >= APPEND_ATTEMPTS) throw error;
        // A receipt id taken: those receipts are in the log already (a retry after a lost answer).
        for (const known of await this.entries(tenant, todo.map((entry) => entry.receiptId))) {
          this.remember(known);
          placed.set(known.receiptId, known);
        }
        todo = todo.filter((entry) => !placed.has(entry.receiptId));
      }
    }
    return placed;
  }

  /**
   * Appends `batch` to the tenant's log as part of `tx`, numbered by the state store's sequence
   * `ledger/<tenant>` (held by `tx` until it ends, so no other append lands between and a rollback
   * leaves no hole): a privileged action and its receipt commit together. Once `tx` has committed,
   * the tree and the recent receipts learn the entries, then `placed` does. A receipt id already in
   * the log fails the transaction (`STATE_CONFLICT`).
   */
  async appendIn(tx: StateTransaction, tenant: string, batch: readonly AppendEntry[], placed?: (entries: StoredEntry[]) => void): Promise<void> {
    if (batch.length === 0) return;
    const at = new Date();
    const leaves = batch.map((entry) => hashLeaf(entry.text));
    const rows = batch.map((entry, i) => ({
      tenant_id: tenant, receipt_id: entry.receiptId, entry: entry.text, leaf_hash: leaves[i]!.toString('hex'),
      disclosures: JSON.stringify(entry.disclosures), key_id: entry.keyId, appended_at: at,
    }));
    await tx.insertNumbered('ledger_entries', rows, { sequence: `ledger/${tenant}`, column: 'log_index', head: (reader) => headOf(reader, tenant) }, (first) => {
      const entries = batch.map((entry, i): StoredEntry => ({
        tenant, logIndex: first + i, receiptId: entry.receiptId, entry: entry.text, disclosures: entry.disclosures, keyId: entry.keyId, appendedAt: at,
      }));
      this.committed(tenant, entries, leaves);
      placed?.(entries);
    });
  }

  /** Entries of the tenant's log just committed: into its tree (when it stands right below them) and the recent receipts. */
  private committed(tenant: string, entries: readonly StoredEntry[], leaves: readonly Buffer[]): void {
    this.appended += entries.length;
    for (const entry of entries) this.remember(entry);
    const first = entries[0]!.logIndex;
    // A tree not loaded yet reads them with the rest. Commits on several connections may be learnt out of order, and
    // another process's appends below them only from the store: leaves above the tree's size wait here until it reaches them.
    void this.trees.get(tenant)?.then((tree) => {
      const waiting = this.early.get(tenant) ?? new Map<number, Buffer>();
      leaves.forEach((leaf, i) => waiting.set(first + i, leaf));
      this.extend(tenant, tree, waiting);
    }, () => undefined);
  }

  /** Appends to the tree the waiting leaves that continue it; keeps the others for later. */
  private extend(tenant: string, tree: MerkleTree, waiting: Map<number, Buffer>): void {
    for (let leaf = waiting.get(tree.size); leaf; leaf = waiting.get(tree.size)) {
      waiting.delete(tree.size);
      tree.append(leaf);
    }
    for (const index of waiting.keys()) if (index < tree.size) waiting.delete(index);
    if (waiting.size > 0) this.early.set(tenant, waiting);
    else this.early.delete(tenant);
  }

  async size(tenant: string): Promise<number> {
    return (await this.tree(tenant)).size;
  }

  /** The receipt in `tenant`'s log; undefined when that log has none by this id (whatever other logs hold). */
  async entryByReceipt(tenant: string, receiptId: string): Promise<StoredEntry | undefined> {
    const recent = this.recent.get(receiptKey(tenant, receiptId));
    if (recent) return recent;
    const [row] = await this.state.query('SELECT * FROM ledger_entries WHERE tenant_id = ? AND receipt_id = ? LIMIT 1', [tenant, receiptId]);
    return row && toEntry(row);
  }

  /** A receipt in whichever tenant's log holds it: for operators' tools, never for a tenant's request. */
  async findReceipt(receiptId: string): Promise<StoredEntry | undefined> {
    const [row] = await this.state.query('SELECT * FROM ledger_entries WHERE receipt_id = ? LIMIT 1', [receiptId]);
    return row && toEntry(row);
  }

  async entries(tenant: string, receiptIds: readonly string[]): Promise<StoredEntry[]> {
    if (receiptIds.length === 0) return [];
    const rows = await this.state.query(
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
    const tree = await this.treeOf(tenant, size);
    const at = size ?? tree.size;
    const latest = this.latest.get(tenant);
    const key = this.keyring.active;
    if (latest?.size === at && latest.keyId === key.keyId) return latest;
    const rootHash = tree.root(at);
    const checkpoint = { size: at, rootHash, note: signCheckpoint({ origin: this.origin(tenant), size: at, rootHash }, key) };
    if (at === tree.size) this.latest.set(tenant, { ...checkpoint, keyId: key.keyId });
    // A stored checkpoint is an anchor for later consistency proofs: one a second per tenant is plenty.
    if (performance.now() - (this.lastPersisted.get(tenant) ?? -Infinity) < PERSIST_EVERY_MS) return checkpoint;
    this.lastPersisted.set(tenant, performance.now());
    const persisting = this.persist(tenant, checkpoint, key.keyId);
    this.persisting.add(persisting);
    void persisting.then(() => this.persisting.delete(persisting));
    return checkpoint;
  }

  /** A signed checkpoint of the log as it is now, covering at least its first `size` entries (read in from the store when this process has not learnt them yet). */
  async checkpointCovering(tenant: string, size: number): Promise<SignedCheckpoint> {
    await this.treeOf(tenant, size);
    return this.checkpoint(tenant);
  }

  /** Waits for checkpoints still being stored. */
  async close(): Promise<void> {
    await Promise.all(this.persisting);
  }

  /** The largest checkpoint stored before `size`, if any: what a verifier saw earlier. */
  async previousCheckpoint(tenant: string, size: number): Promise<SignedCheckpoint | undefined> {
    const [row] = await this.state.query(
      'SELECT tree_size, root_hash, note FROM ledger_checkpoints WHERE tenant_id = ? AND tree_size < ? AND tree_size > 0 ORDER BY tree_size DESC LIMIT 1',
      [tenant, size],
    );
    return row && { size: Number(row.tree_size), rootHash: Buffer.from(String(row.root_hash), 'base64'), note: String(row.note) };
  }

  async inclusionProof(tenant: string, logIndex: number, size: number): Promise<Buffer[]> {
    return (await this.treeOf(tenant, size)).inclusionProof(logIndex, size);
  }

  async consistencyProof(tenant: string, size1: number, size2: number): Promise<Buffer[]> {
    return (await this.treeOf(tenant, size2)).consistencyProof(size1, size2);
  }

  private async persist(tenant: string, checkpoint: SignedCheckpoint, keyId: string): Promise<void> {
    try {
      let stored = this.persisted.get(tenant);
      if (!stored) {
        stored = this.state
          .query<{ tree_size: SqlValue }>('SELECT tree_size FROM ledger_checkpoints WHERE tenant_id = ?', [tenant])
          .then((rows) => new Set(rows.map((r) => Number(r.tree_size))));
        this.persisted.set(tenant, stored);
      }
      const sizes = await stored;
      if (sizes.has(checkpoint.size)) return;
      sizes.add(checkpoint.size);
      // A plain insert rides along with whatever else commits next; a size another writer stored first is a conflict (below).
      await this.state.transaction((tx) => tx.insert('ledger_checkpoints', [
        { tenant_id: tenant, tree_size: checkpoint.size, root_hash: checkpoint.rootHash.toString('base64'), note: checkpoint.note, key_id: keyId, signed_at: new Date() },
      ])).catch((error: unknown) => {
        sizes.delete(checkpoint.size);
        throw error;
      });
    } catch (error) {
      // Another writer storing the same checkpoint at the same moment stored it.
      if (error instanceof DomainError && error.code === 'STATE_CONFLICT') return;
      // A checkpoint not stored is only a missed consistency anchor: it can be signed again, identically.
      this.persisted.delete(tenant);
      this.log.error({ err: error, tenant, size: checkpoint.size }, 'could not store a signed checkpoint');
    }
  }

  /**
   * The redaction markers of these receipts (disclosures an erasure removed), and the signed
   * manifests of the purges that name them: what a bundle carries so its verifier checks them.
   */
  async redactions(tenant: string, receiptIds: readonly string[]): Promise<{ byReceipt: Map<string, { digest: string; purgeId: string }[]>; manifests: string[] }> {
    const byReceipt = new Map<string, { digest: string; purgeId: string }[]>();
    if (receiptIds.length === 0) return { byReceipt, manifests: [] };
    const rows = await this.state.query<{ receipt_id: string; digest: string; purge_id: string }>(
      `SELECT receipt_id, digest, purge_id FROM ledger_redactions WHERE tenant_id = ? AND receipt_id IN (${receiptIds.map(() => '?').join(', ')}) ORDER BY receipt_id, digest`,
      [tenant, ...receiptIds],
    );
    for (const row of rows) {
      if (!byReceipt.has(row.receipt_id)) byReceipt.set(row.receipt_id, []);
      byReceipt.get(row.receipt_id)!.push({ digest: row.digest, purgeId: row.purge_id });
    }
    const purges = [...new Set(rows.map((row) => row.purge_id))];
    const manifests = purges.length === 0 ? [] : await this.state.query<{ envelope: SqlValue }>(
      `SELECT envelope FROM purge_manifests WHERE tenant_id = ? AND purge_id IN (${purges.map(() => '?').join(', ')}) ORDER BY purge_id`,
      [tenant, ...purges],
    );
    return { byReceipt, manifests: manifests.map((row) => (typeof row.envelope === 'string' ? row.envelope : JSON.stringify(row.envelope))) };
  }

  /** Forgets what it kept in memory of these receipts: their stored disclosures were changed (an erasure). */
  forget(tenant: string, receiptIds: readonly string[]): void {
    for (const receiptId of receiptIds) this.recent.delete(receiptKey(tenant, receiptId));
  }

  private remember(entry: StoredEntry): void {
    this.recent.set(receiptKey(entry.tenant, entry.receiptId), entry);
    if (this.recent.size > RECENT_RECEIPTS) this.recent.delete(this.recent.keys().next().value!);
  }

  /** The tenant's tree with at least `size` leaves: what other writers appended since this one last looked is read in. */
  private async treeOf(tenant: string, size = 0): Promise<MerkleTree> {
    const tree = await this.tree(tenant);
    if (size <= tree.size) return tree;
    const from = tree.size;
    const rows = await this.state.query<{ leaf_hash: string }>(
      'SELECT leaf_hash FROM ledger_entries WHERE tenant_id = ? AND log_index >= ? ORDER BY log_index',
      [tenant, from],
    );
    // Appends (this store's, or another catch-up's) may have grown the tree meanwhile: add only what it still lacks.
    for (const row of rows.slice(tree.size - from)) tree.append(Buffer.from(row.leaf_hash, 'hex'));
    const waiting = this.early.get(tenant);
    if (waiting) this.extend(tenant, tree, waiting);
    return tree;
  }

  private tree(tenant: string): Promise<MerkleTree> {
    let tree = this.trees.get(tenant);
    if (!tree) {
      tree = this.state
        .query<{ leaf_hash: string }>('SELECT leaf_hash FROM ledger_entries WHERE tenant_id = ? ORDER BY log_index', [tenant])
        .then((rows) => MerkleTree.fromLeafHashes(rows.map((row) => Buffer.from(row.leaf_hash, 'hex'))));
      // A failed load is retried by the next caller, not cached.
      tree.catch(() => this.trees.delete(tenant));
      this.trees.set(tenant, tree);
    }
    return tree;
  }
}

/** One past the last index of the tenant's log as committed. */
async function headOf(reader: StateReader, tenant: string): Promise<number> {
  const [row] = await reader.query<{ next: SqlValue }>('SELECT coalesce(max(log_index) + 1, 0) AS next FROM ledger_entries WHERE tenant_id = ?', [tenant]);
  return Number(row!.next);
}

function byReceipt(entries: readonly StoredEntry[]): Map<string, StoredEntry> {
  return new Map(entries.map((entry) => [entry.receiptId, entry]));
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
