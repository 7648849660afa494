import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promiseHooksOn } from '../../../test/support/promise-hooks.ts';
import { useDuckDBFile } from '../../../test/support/duckdb-file.ts';

const NOTES = { table: 'notes', columns: ['tenant_id', 'id', 'seen_at'], key: ['tenant_id', 'id'], windowColumn: 'seen_at', windowDays: 35 };
/** A day ago: inside the 35-day dedupe window whatever day the suite runs. */
const NOTE_SEEN_AT = new Date(Date.now() - 86_400_000);
const notes = (from: number, count: number) => Array.from({ length: count }, (_, i) => ['acme', `n-${from + i}`, NOTE_SEEN_AT]);

describe('the DuckDB warehouse\'s write lock', () => {
  const db = useDuckDBFile((warehouse) => warehouse.execute('CREATE TABLE notes (tenant_id VARCHAR, id VARCHAR, seen_at TIMESTAMP)'));

  // On Node 20 an enabled AsyncLocalStorage hooks every promise of the process: the API's every request paid for it.
  it('leaves no hook on the process\'s promises once its writes, loads and transactions are done', async () => {
    expect(await promiseHooksOn()).toBe(false);
    await db.warehouse.insert('notes', NOTES.columns, notes(0, 3));
    expect(await promiseHooksOn()).toBe(false);
    await db.warehouse.insert('notes', NOTES.columns, notes(3, 1_000));
    expect(await promiseHooksOn()).toBe(false);
    await db.warehouse.insertUnique(NOTES, notes(5_000, 10));
    expect(await promiseHooksOn()).toBe(false);
    const file = join(db.dir, 'notes.csv');
    await db.warehouse.execute(`COPY (SELECT 'acme' AS tenant_id, 'c-' || i AS id, TIMESTAMP '2026-11-02' AS seen_at FROM range(10) r(i)) TO '${file}' (HEADER)`);
    await db.warehouse.insertCsv('notes', NOTES.columns, file);
    expect(await promiseHooksOn()).toBe(false);
    await db.warehouse.materialize('notes_count', 'table', 'SELECT count(*) AS n FROM notes');
    await db.warehouse.transaction(async () => {
      await db.warehouse.insert('notes', NOTES.columns, notes(9_000, 2));
      await db.warehouse.execute("DELETE FROM notes WHERE id = 'n-0'");
    });
    expect(await promiseHooksOn()).toBe(false);
    expect(await db.warehouse.query('SELECT count(*)::INTEGER AS n FROM notes')).toEqual([{ n: 3 + 1_000 + 10 + 10 + 2 - 1 }]);
  });

  // The lock's tasks were all "inside" before, so ingest's checkpoint every 100,000 rows was put off until some transaction
  // ended, and the WAL grew to DuckDB's 512 MB backstop.
  it('checkpoints ingest every 100,000 rows, behind the write that crossed the mark', async () => {
    for (let start = 0; start < 100_000; start += 10_000) await db.warehouse.insertUnique(NOTES, notes(start, 10_000));
    // A write after the one that crossed the mark finds the checkpoint done: it was queued ahead of it.
    await db.warehouse.execute('CREATE TABLE later (x INTEGER)');
    const wal = await stat(join(db.dir, 'warehouse.duckdb.wal')).then((s) => s.size, () => 0);
    // 100,000 such rows left in it are ~2 MB.
    expect(wal).toBeLessThan(64 * 1024);
    expect(await db.warehouse.query('SELECT count(*)::INTEGER AS n FROM notes')).toEqual([{ n: 100_000 }]);
  });

  // Rows written inside a transaction used to join a group an outside caller had queued — behind the transaction, which
  // waited for them.
  it('writes a unique insert made inside a transaction in it, while another caller\'s group waits for the transaction', async () => {
    let entered!: () => void;
    const begun = new Promise<void>((resolve) => (entered = resolve));
    const inside = db.warehouse.transaction(async () => {
      entered();
      await new Promise((resolve) => setTimeout(resolve, 20));
      return db.warehouse.insertUnique(NOTES, notes(3, 5));
    });
    await begun;
    const outside = db.warehouse.insertUnique(NOTES, notes(0, 5));
    const stuck = new Promise((_, reject) => setTimeout(() => reject(new Error('the transaction waited for a group queued behind it')), 3_000).unref());
    expect(await Promise.race([inside, stuck])).toMatchObject({ inserted: 5 });
    // Queued behind the transaction, the outside rows find n-3 and n-4 already written.
    expect(await outside).toMatchObject({ inserted: 3, duplicate: [false, false, false, true, true] });
    expect(await db.warehouse.query('SELECT count(*)::INTEGER AS n FROM notes')).toEqual([{ n: 8 }]);
  });
});
