import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParquetRowNumbers, ReadSession, ReclaimReport, RelationKind, Row, SqlValue, UniqueInsert, UniqueInsertResult, Warehouse } from '../../kernel/warehouse/index.ts';
import type { ChangeLog } from './change-log.ts';
import { encodeRow } from './change-values.ts';

/**
 * The warehouse with every data write recorded in a change log once it has committed:
 * rows inserted (for `insertUnique`, only those that were not duplicates), CSV files loaded
 * and Parquet files loaded (copied into `spoolDir` first: the caller may remove its own), rows deleted. Models
 * (`materialize`, `mergeInto`) and `execute` (DDL) are not recorded: a restore rebuilds models.
 */
export class LoggedWarehouse implements Warehouse {
  readonly engine: Warehouse['engine'];
  readonly capabilities: Warehouse['capabilities'];
  readonly dialect: Warehouse['dialect'];
  readonly location: string;

  constructor(readonly inner: Warehouse, private readonly log: ChangeLog, private readonly spoolDir: string) {
    this.engine = inner.engine;
    this.capabilities = inner.capabilities;
    this.dialect = inner.dialect;
    this.location = inner.location;
    if (inner.readSession) this.readSession = (work) => inner.readSession!(work);
    if (inner.settleDdl) this.settleDdl = () => inner.settleDdl!();
    if (inner.changeTokens) this.changeTokens = (tables) => inner.changeTokens!(tables);
    if (inner.insertParquet) this.insertParquet = (table, columns, paths, options) => this.loadParquet(inner, table, columns, paths, options);
  }

  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.inner.query<T>(sql, params);
  }

  execute(sql: string, params?: readonly SqlValue[]): Promise<void> {
    return this.inner.execute(sql, params);
  }

  /** Reads, and rows kept only for the session: nothing to record. */
  readonly readSession?: <T>(work: (session: ReadSession) => Promise<T>) => Promise<T>;
  /** DDL is not recorded: settling it is the engine's. */
  readonly settleDdl?: () => Promise<void>;
  /** Reads the catalog: nothing to record. */
  readonly changeTokens?: (tables: readonly string[]) => Promise<Map<string, string>>;

  deleteWhere(table: string, condition: string, params: readonly SqlValue[] = []): Promise<void> {
    return this.log.write(() => this.inner.deleteWhere(table, condition, params), () => ({ op: 'delete', table, condition, params: encodeRow(params) }));
  }

  /** Changes no row: nothing to record. */
  reclaim(tables: readonly string[]): Promise<ReclaimReport> {
    return this.inner.reclaim(tables);
  }

  insert(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<number> {
    return this.log.write(
      () => this.inner.insert(table, columns, rows),
      (written) => (written > 0 ? { op: 'insert', table, columns: [...columns], rows: rows.map(encodeRow) } : undefined),
    );
  }

  async insertCsv(table: string, columns: readonly string[], path: string): Promise<void> {
    const [file] = await this.spool([path], 'csv');
    try {
      await this.log.write(() => this.inner.insertCsv(table, columns, path), () => ({ op: 'csv', table, columns: [...columns], file: file! }));
    } catch (error) {
      await rm(file!, { force: true });
      throw error;
    }
  }

  /** Present only when the engine loads Parquet (callers load CSV otherwise). */
  readonly insertParquet?: Warehouse['insertParquet'];

  private async loadParquet(inner: Warehouse, table: string, columns: readonly string[], paths: readonly string[], options: { keep?: string; numberRows?: ParquetRowNumbers } = {}): Promise<void> {
    const files = await this.spool(paths, 'parquet');
    try {
      await this.log.write(() => inner.insertParquet!(table, columns, paths, options), () => ({
        op: 'parquet', table, columns: [...columns], files,
        ...(options.keep ? { keep: options.keep } : {}), ...(options.numberRows ? { numberRows: { ...options.numberRows } } : {}),
      }));
    } catch (error) {
      await Promise.all(files.map((file) => rm(file, { force: true })));
      throw error;
    }
  }

  /** Copies of the files a load reads, kept in the spool until shipped: the caller may remove its own once the load returns. */
  private async spool(paths: readonly string[], extension: 'csv' | 'parquet'): Promise<string[]> {
    await mkdir(this.spoolDir, { recursive: true });
    const files: string[] = [];
    try {
      for (const path of paths) {
        const file = join(this.spoolDir, `${randomUUID()}.${extension}`);
        files.push(file);
        await copyFile(path, file);
      }
      return files;
    } catch (error) {
      await Promise.all(files.map((file) => rm(file, { force: true })));
      throw error;
    }
  }

  insertUnique(spec: UniqueInsert, rows: readonly (readonly SqlValue[])[], digests?: readonly Uint8Array[]): Promise<UniqueInsertResult> {
    return this.log.write(
      () => this.inner.insertUnique(spec, rows, digests),
      (result) => (result.inserted > 0
        ? { op: 'insert', table: spec.table, columns: [...spec.columns], rows: asWritten(spec, result, rows.filter((_, i) => !result.duplicate[i])).map(encodeRow) }
        : undefined),
    );
  }

  materialize(name: string, kind: RelationKind, select: string, uniqueKey?: readonly string[]): Promise<void> {
    return this.inner.materialize(name, kind, select, uniqueKey);
  }

  mergeInto(name: string, select: string, uniqueKey: readonly string[]): Promise<void> {
    return this.inner.mergeInto(name, select, uniqueKey);
  }

  hasRelation(name: string): Promise<boolean> {
    return this.inner.hasRelation(name);
  }

  columns(name: string): Promise<{ name: string; type: string }[]> {
    return this.inner.columns(name);
  }

  columnsOf(names: readonly string[]): Promise<Map<string, { name: string; type: string }[]>> {
    return this.inner.columnsOf(names);
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.inner.transaction(fn);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The rows as the engine wrote them: a stamp column before the write's floor was written as the floor (`UniqueInsert.stampColumn`). */
function asWritten(spec: UniqueInsert, result: UniqueInsertResult, rows: readonly (readonly SqlValue[])[]): readonly (readonly SqlValue[])[] {
  const at = spec.stampColumn === undefined ? -1 : spec.columns.indexOf(spec.stampColumn);
  const floor = result.stampFloor;
  if (at < 0 || !floor) return rows;
  return rows.map((row) => {
    const value = row[at];
    if (value instanceof Date && value.getTime() >= floor.getTime()) return row;
    const copy = [...row];
    copy[at] = floor;
    return copy;
  });
}
