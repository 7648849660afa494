import type { Numbering, StateReader, StateRow, StateStore, StateTransaction, TransactionOptions } from '../../kernel/state/index.ts';
import type { ReclaimReport, Row, SqlValue } from '../../kernel/warehouse/index.ts';
import type { ChangeLog, StateStep } from './change-log.ts';
import { encodeRecord } from './change-values.ts';

/**
 * The state store with each committed transaction recorded in a change log as its steps, in
 * order. A store may run a transaction's work more than once (a group commit that failed runs
 * each again alone): only the steps of the run that committed are recorded.
 */
export class LoggedStateStore implements StateStore {
  readonly engine: StateStore['engine'];
  readonly soleWriter: boolean;
  readonly location: string;
  readonly tables: StateStore['tables'];

  constructor(readonly inner: StateStore, private readonly log: ChangeLog) {
    this.engine = inner.engine;
    this.soleWriter = inner.soleWriter;
    this.location = inner.location;
    this.tables = inner.tables;
  }

  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.inner.query<T>(sql, params);
  }

  snapshot<T>(work: (reader: StateReader) => Promise<T>): Promise<T> {
    return this.inner.snapshot(work);
  }

  transaction<T>(work: (tx: StateTransaction) => Promise<T>, options?: TransactionOptions): Promise<T> {
    let steps: StateStep[] = [];
    return this.log.write(
      () => this.inner.transaction((tx) => {
        steps = [];
        return work(new RecordingTransaction(tx, steps));
      }, options),
      () => (steps.length > 0 ? { op: 'state', steps } : undefined),
    );
  }

  /** Changes no row: nothing to record. */
  reclaim(tables: readonly string[]): Promise<ReclaimReport> {
    return this.inner.reclaim(tables);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

class RecordingTransaction implements StateTransaction {
  constructor(private readonly tx: StateTransaction, private readonly steps: StateStep[]) {}

  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.tx.query<T>(sql, params);
  }

  async insert(table: string, rows: readonly StateRow[]): Promise<void> {
    await this.tx.insert(table, rows);
    if (rows.length > 0) this.steps.push({ op: 'insert', table, rows: rows.map(encodeRecord) });
  }

  async insertNew(table: string, rows: readonly StateRow[]): Promise<number> {
    const inserted = await this.tx.insertNew(table, rows);
    // Replayed as insertNew, in order, on the same state: the same rows are new again.
    if (inserted > 0) this.steps.push({ op: 'insertNew', table, rows: rows.map(encodeRecord) });
    return inserted;
  }

  async compareAndSet(table: string, where: StateRow, expected: StateRow, changes: StateRow): Promise<boolean> {
    const changed = await this.tx.compareAndSet(table, where, expected, changes);
    if (changed) this.steps.push({ op: 'compareAndSet', table, where: encodeRecord(where), expected: encodeRecord(expected), changes: encodeRecord(changes) });
    return changed;
  }

  /** Recorded, once numbered, as the plain insert a replay repeats. */
  async insertNumbered(table: string, rows: readonly StateRow[], numbering: Numbering, numbered: (first: number) => void): Promise<void> {
    const step = { op: 'insert' as const, table, rows: [] as ReturnType<typeof encodeRecord>[] };
    this.steps.push(step);
    await this.tx.insertNumbered(table, rows, numbering, (first) => {
      step.rows.push(...rows.map((row, i) => encodeRecord({ ...row, [numbering.column]: first + i })));
      numbered(first);
    });
  }

  afterCommit(callback: () => void): void {
    this.tx.afterCommit(callback);
  }

  async delete(table: string, where: StateRow): Promise<number> {
    const deleted = await this.tx.delete(table, where);
    if (deleted > 0) this.steps.push({ op: 'delete', table, where: encodeRecord(where), rows: deleted });
    return deleted;
  }
}
