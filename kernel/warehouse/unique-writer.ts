import { DIGEST_BYTES, rowDigest } from '../dedupe/index.ts';
import { DigestSet } from './digest-set.ts';
import { WarehouseError } from './errors.ts';
import type { SerialLock } from './serial-lock.ts';
import type { SqlValue, UniqueInsert, UniqueInsertResult } from './warehouse.ts';

type Rows = readonly (readonly SqlValue[])[];

/** What an engine provides so `UniqueWriter` can dedupe on it. */
export interface UniqueStorage {
  /** Hex digests (`dedupeDigest`) of the keys written since `since`. */
  loadDigests(spec: UniqueInsert, since: Date): AsyncIterable<string>;
  /**
   * For engines with several writers (ClickHouse): which of these rows some
   * other process has already stored. Single-writer engines leave it out.
   */
  storedElsewhere?(spec: UniqueInsert, rows: Rows, digests: readonly Uint8Array[]): Promise<boolean[]>;
  /** Writes the rows, and whatever the engine keeps to find their keys again. */
  write(spec: UniqueInsert, rows: Rows): Promise<void>;
  /**
   * The greatest value of `spec.stampColumn` stored, for engines with one writer, which keep that column in
   * commit order (`UniqueInsert.stampColumn`); engines with several writers leave it out.
   */
  latestStamp?(spec: UniqueInsert & { stampColumn: string }): Promise<Date | null>;
}

interface Group {
  spec: UniqueInsert;
  requests: { rows: Rows; digests: readonly Uint8Array[]; resolve: (result: UniqueInsertResult) => void; reject: (error: unknown) => void }[];
}

/**
 * Engine-independent dedupe for `Warehouse.insertUnique`: an in-memory index of
 * key digests, rebuilt from storage on first use, plus group commit — requests
 * that arrive while a write is in progress are written together in one write,
 * and each caller still gets its own result. A key enters the index only after
 * its row is written, so a failed write can be retried.
 */
export class UniqueWriter {
  private readonly indexes = new Map<string, Promise<DigestSet>>();
  private readonly pending = new Map<string, Group>();
  /** Per table, the last stamp committed (ms), read from storage on first use. */
  private readonly stamps = new Map<string, Promise<number>>();

  constructor(
    private readonly storage: UniqueStorage,
    private readonly lock: SerialLock,
  ) {}

  insert(spec: UniqueInsert, rows: Rows, given?: readonly Uint8Array[]): Promise<UniqueInsertResult> {
    const groupKey = `${spec.table}|${spec.key.join()}|${spec.windowColumn}|${spec.windowDays}`;
    return new Promise((resolve, reject) => {
      // Digested on arrival, not in the commit: a commit holds the lock, and the one before it leaves this thread idle.
      let digests: readonly Uint8Array[];
      try {
        digests = given ?? digestsOf(spec, rows);
        if (digests.length !== rows.length) throw new WarehouseError(`${digests.length} digests given for ${rows.length} rows`);
        if (digests.some((digest) => digest.byteLength !== DIGEST_BYTES)) throw new WarehouseError(`a dedupe digest is ${DIGEST_BYTES} bytes`);
      } catch (error) {
        reject(error);
        return;
      }
      // Inside a transaction, written in it at once: a group queued outside it waits for the transaction to end.
      if (this.lock.held()) {
        void this.commit({ spec, requests: [{ rows, digests, resolve, reject }] });
        return;
      }
      let group = this.pending.get(groupKey);
      const isNew = !group;
      if (!group) this.pending.set(groupKey, (group = { spec, requests: [] }));
      group.requests.push({ rows, digests, resolve, reject });
      if (isNew) {
        void this.lock.run(() => {
          const queued = this.pending.get(groupKey)!;
          this.pending.delete(groupKey);
          return this.commit(queued);
        });
      }
    });
  }

  private async commit({ spec, requests }: Group): Promise<void> {
    try {
      const index = await this.index(spec);
      const inGroup = new DigestSet(requests.reduce((n, r) => n + r.rows.length, 0));
      const candidates: (readonly SqlValue[])[] = [];
      const candidateDigests: Uint8Array[] = [];
      // Per request and row: -1 = duplicate, otherwise its position among the candidates.
      const slots = requests.map(({ rows, digests }) =>
        rows.map((row, i) => {
          const digest = digests[i]!;
          if (index.has(digest) || !inGroup.add(digest)) return -1;
          candidateDigests.push(digest);
          return candidates.push(row) - 1;
        }),
      );
      const elsewhere = this.storage.storedElsewhere
        ? await this.storage.storedElsewhere(spec, candidates, candidateDigests)
        : candidates.map(() => false);
      const { rows, stamp, floor } = await this.stamped(spec, candidates.filter((_, i) => !elsewhere[i]));
      await this.storage.write(spec, rows);
      if (stamp !== undefined) this.stamps.set(spec.table, Promise.resolve(stamp));
      for (const digest of candidateDigests) index.add(digest);
      requests.forEach((request, r) => {
        const duplicate = slots[r]!.map((slot) => slot < 0 || elsewhere[slot]!);
        request.resolve({ inserted: duplicate.filter((d) => !d).length, duplicate, ...(floor === undefined ? {} : { stampFloor: new Date(floor) }) });
      });
    } catch (error) {
      for (const request of requests) request.reject(error);
    }
  }

  /** The rows with `stampColumn` after the last committed stamp (runs under the lock, so in commit order), and the new last stamp. */
  private async stamped(spec: UniqueInsert, rows: Rows): Promise<{ rows: Rows; stamp?: number; floor?: number }> {
    const { stampColumn } = spec;
    const latest = this.storage.latestStamp;
    if (!stampColumn || !latest || rows.length === 0) return { rows };
    const at = spec.columns.indexOf(stampColumn);
    if (at < 0) throw new WarehouseError(`stamp column ${stampColumn} is not among the inserted columns`);
    let last = this.stamps.get(spec.table);
    if (!last) {
      last = latest.call(this.storage, { ...spec, stampColumn }).then((at) => at?.getTime() ?? Number.NEGATIVE_INFINITY);
      last.catch(() => this.stamps.delete(spec.table));
      this.stamps.set(spec.table, last);
    }
    const previous = await last;
    const msOf = (row: readonly SqlValue[]) => {
      const value = row[at];
      return value instanceof Date ? value.getTime() : Number.NaN;
    };
    if (!Number.isFinite(previous)) {
      // Nothing stored yet: every row keeps its value; the latest becomes the stamp to follow.
      const latestMs = rows.reduce((latest, row) => (msOf(row) > latest ? msOf(row) : latest), Number.NEGATIVE_INFINITY);
      return { rows, ...(Number.isFinite(latestMs) ? { stamp: latestMs } : {}) };
    }
    const floor = previous + 1;
    let stamp = previous;
    const stampedRows = rows.map((row) => {
      const ms = msOf(row);
      if (ms >= floor) {
        stamp = Math.max(stamp, ms);
        return row;
      }
      stamp = Math.max(stamp, floor);
      const copy = [...row];
      copy[at] = new Date(floor);
      return copy;
    });
    return { rows: stampedRows, stamp, floor };
  }

  private index(spec: UniqueInsert): Promise<DigestSet> {
    let index = this.indexes.get(spec.table);
    if (!index) {
      index = this.load(spec);
      index.catch(() => this.indexes.delete(spec.table));
      this.indexes.set(spec.table, index);
    }
    return index;
  }

  private async load(spec: UniqueInsert): Promise<DigestSet> {
    const index = new DigestSet();
    const since = new Date(Date.now() - spec.windowDays * 86_400_000);
    for await (const hex of this.storage.loadDigests(spec, since)) index.add(Buffer.from(hex, 'hex'));
    return index;
  }
}

/** Each row's dedupe digest (`dedupeDigest` of its key columns). */
function digestsOf(spec: UniqueInsert, rows: Rows): Buffer[] {
  const keyAt = spec.key.map((k) => {
    const at = spec.columns.indexOf(k);
    if (at < 0) throw new WarehouseError(`dedupe key column ${k} is not among the inserted columns`);
    return at;
  });
  return rows.map((row) => rowDigest(row, keyAt));
}
