import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import type { StateRow, StateStore, StateTransaction } from '../../kernel/state/index.ts';
import type { SqlValue, Warehouse } from '../../kernel/warehouse/index.ts';
import type { StateStep } from './change-log.ts';
import type { ShippedChange } from './change-segments.ts';
import { decodeRecord, decodeRow } from './change-values.ts';

/** Rows pending before a flush: enough that each table's rows go in one bulk insert. */
const FLUSH_ROWS = 50_000;

interface PendingStep {
  step: StateStep;
  segment: number;
}

/**
 * Shipped changes applied in bulk, in an order that gives the same database as applying them one
 * by one: consecutive row inserts into a table become one insert (rows appended commute), a
 * delete or a file load first applies everything before it, and state steps keep their order —
 * only consecutive plain inserts into the same table are merged — in one transaction per flush.
 */
export class ReplayBatch {
  private readonly inserts = new Map<string, { table: string; columns: string[]; rows: SqlValue[][] }>();
  private steps: PendingStep[] = [];
  private rows = 0;

  constructor(private readonly warehouse: Warehouse, private readonly state: StateStore, private readonly staging: string) {}

  async add(change: ShippedChange, segment: number): Promise<void> {
    switch (change.op) {
      case 'insert': {
        const key = `${change.table}(${change.columns.join(',')})`;
        let pending = this.inserts.get(key);
        if (!pending) this.inserts.set(key, (pending = { table: change.table, columns: change.columns, rows: [] }));
        for (const row of change.rows) pending.rows.push(decodeRow(row));
        this.rows += change.rows.length;
        break;
      }
      case 'csv':
        await this.flush();
        await this.warehouse.insertCsv(change.table, change.columns, this.fetched(change.object));
        return;
      case 'parquet': {
        await this.flush();
        if (!this.warehouse.insertParquet) throw new DomainError('BACKUP_OBJECT_CORRUPT', `Segment ${segment} holds a Parquet load into ${change.table}, which a ${this.warehouse.engine} warehouse cannot replay (only DuckDB's backups hold them).`);
        const { table, columns, objects, keep, numberRows } = change;
        await this.warehouse.insertParquet(table, columns, objects.map((blob) => this.fetched(blob.object)), { keep, numberRows });
        return;
      }
      case 'delete':
        await this.flush();
        await this.warehouse.deleteWhere(change.table, change.condition, decodeRow(change.params));
        return;
      case 'state':
        for (const step of change.steps) this.addStep(step, segment);
        break;
      default:
        // `openSegment` refuses kinds it does not know before anything is restored; this stays the last line.
        throw new DomainError('BACKUP_OBJECT_CORRUPT', `Segment ${segment} holds a change this platform cannot replay (${JSON.stringify((change as { op?: unknown }).op)}).`);
    }
    if (this.rows >= FLUSH_ROWS) await this.flush();
  }

  /** Where `fetchChanges` put an object. */
  private fetched(object: string): string {
    return join(this.staging, object.split('/').pop()!);
  }

  async flush(): Promise<void> {
    for (const { table, columns, rows } of this.inserts.values()) await this.warehouse.insert(table, columns, rows);
    this.inserts.clear();
    const steps = this.steps;
    this.steps = [];
    this.rows = 0;
    if (steps.length === 0) return;
    await this.state.transaction(async (tx) => {
      for (const { step, segment } of steps) await applyStep(tx, step, segment);
    }, { alone: true });
  }

  private addStep(step: StateStep, segment: number): void {
    const last = this.steps.at(-1)?.step;
    if (step.op === 'insert' && last?.op === 'insert' && last.table === step.table) {
      this.steps[this.steps.length - 1] = { step: { ...last, rows: [...last.rows, ...step.rows] }, segment };
    } else this.steps.push({ step, segment });
    this.rows += step.op === 'compareAndSet' ? 1 : step.op === 'delete' ? step.rows : step.rows.length;
  }
}

async function applyStep(tx: StateTransaction, step: StateStep, segment: number): Promise<void> {
  switch (step.op) {
    case 'insert':
      await tx.insert(step.table, step.rows.map(decodeRecord) as StateRow[]);
      return;
    case 'insertNew':
      await tx.insertNew(step.table, step.rows.map(decodeRecord) as StateRow[]);
      return;
    case 'compareAndSet':
      if (!(await tx.compareAndSet(step.table, decodeRecord(step.where), decodeRecord(step.expected), decodeRecord(step.changes)))) {
        throw new DomainError('BACKUP_VALIDATION_FAILED', `segment ${segment}: a change to ${step.table} (${JSON.stringify(step.where)}) did not apply again: the restored state differs from the one it was made on.`);
      }
      return;
    case 'delete':
      if ((await tx.delete(step.table, decodeRecord(step.where))) !== step.rows) {
        throw new DomainError('BACKUP_VALIDATION_FAILED', `segment ${segment}: a delete from ${step.table} (${JSON.stringify(step.where)}) did not remove the ${step.rows} rows it removed before: the restored state differs from the one it was made on.`);
      }
      return;
    default:
      // `openSegment` refuses kinds it does not know before anything is restored; this stays the last line.
      throw new DomainError('BACKUP_OBJECT_CORRUPT', `Segment ${segment} holds a state step this platform cannot replay (${JSON.stringify((step as { op?: unknown }).op)}).`);
  }
}
