import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from './duckdb-warehouse.ts';

/** DuckDB's row group: what a table's storage is cut into. */
const ROW_GROUP_ROWS = 122_880;
const ROWS = 1_000_000;

/** The table's row groups as the load left them, before a checkpoint merges any. */
async function rowGroups(warehouse: DuckDBWarehouse, table: string): Promise<number> {
  const [row] = await warehouse.query<{ groups: bigint }>(`SELECT count(DISTINCT row_group_id) AS groups FROM pragma_storage_info('${table}')`);
  return Number(row!.groups);
}

describe('DuckDB bulk loads leave no row groups for a checkpoint to merge', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  /** A warehouse in a file of its own holding table `t` of `columns`. */
  const onFileWarehouse = async (columns: string, work: (warehouse: DuckDBWarehouse, dir: string) => Promise<void>) => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-bulk-load-'));
    const warehouse = await DuckDBWarehouse.open(join(dir, 'w.duckdb'));
    try {
      await warehouse.execute(`CREATE TABLE t (${columns})`);
      await work(warehouse, dir);
    } finally {
      await warehouse.close();
    }
  };

  // Kept in file order, each part of a file DuckDB reads in parallel (a Parquet row group, here 131,072 rows) ended in a
  // short row group of its own, and the next checkpoint rewrote the table to merge them while every writer waited (1.7–3.4 s
  // after a million-row bill). Loaded in no order, the rows fill whole row groups.
  it('fills whole row groups from a Parquet file cut into parts larger than one', async () => {
    await onFileWarehouse('id BIGINT, line BIGINT, note VARCHAR', async (warehouse, dir) => {
      const file = join(dir, 'rows.parquet');
      await warehouse.execute(`COPY (SELECT i AS id, 'row ' || i AS note, i <> 3 AS kept FROM range(${ROWS}) AS r(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 130000)`);
      const [parts] = await warehouse.query<{ n: bigint }>(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata('${file}')`);
      expect(Number(parts!.n)).toBeGreaterThan(2);
      await warehouse.insertParquet('t', ['id', 'line', 'note'], [file], { keep: 'kept', numberRows: { column: 'line', first: 0 } });
      const kept = ROWS - 1;
      expect(await rowGroups(warehouse, 't')).toBeLessThanOrEqual(Math.ceil(kept / ROW_GROUP_ROWS) + 1);
      const [{ n, off }] = (await warehouse.query<{ n: bigint; off: bigint }>('SELECT count(*) AS n, count(*) FILTER (WHERE line <> id) AS off FROM t')) as [{ n: bigint; off: bigint }];
      expect([Number(n), Number(off)]).toEqual([kept, 0]);
    });
  });

  it('fills whole row groups from a CSV file read in parallel', async () => {
    await onFileWarehouse('id BIGINT, note VARCHAR', async (warehouse, dir) => {
      const file = join(dir, 'rows.csv');
      const lines = ['id,note'];
      for (let i = 0; i < ROWS; i++) lines.push(`${i},row ${i} ${'x'.repeat(40)}`);
      await writeFile(file, `${lines.join('\n')}\n`);
      await warehouse.insertCsv('t', ['id', 'note'], file);
      expect(await rowGroups(warehouse, 't')).toBeLessThanOrEqual(Math.ceil(ROWS / ROW_GROUP_ROWS) + 1);
      const [{ n, ids }] = (await warehouse.query<{ n: bigint; ids: bigint }>('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM t')) as [{ n: bigint; ids: bigint }];
      expect([Number(n), Number(ids)]).toEqual([ROWS, ROWS]);
    });
  });
});
