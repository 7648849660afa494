import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findMarker } from '../../../test/support/byte-search.ts';
import { useDuckDBFile } from '../../../test/support/duckdb-file.ts';

describe('reclaiming deleted rows from the DuckDB file', () => {
  // Values in plain text, so a search of the file's bytes sees them: compressed (DICT_FSST, which the v1.4 storage
  // format picks even for these random values) a value is stored as symbol codes no search finds whole. How the
  // reclaim removes them — the table rewritten, every free block overwritten — does not depend on the encoding.
  const db = useDuckDBFile((warehouse) => warehouse.execute("SET force_compression = 'uncompressed'"));

  it('leaves no byte of a deleted row in the file, keeps every live row and a row written meanwhile, and keeps unique keys', async () => {
    // One marker a row: a value repeated across rows would be compressed into symbols and never appear whole.
    const markers = Array.from({ length: 12 }, () => `mk${randomBytes(24).toString('base64url')}`);
    const found = async () => (await Promise.all(markers.map((marker) => findMarker(db.dir, marker)))).filter((hits) => Object.keys(hits).length > 0);
    await db.warehouse.execute('CREATE TABLE notes (tenant_id VARCHAR, note_id VARCHAR, body VARCHAR)');
    await db.warehouse.execute('CREATE UNIQUE INDEX notes_key ON notes (tenant_id, note_id)');
    await db.warehouse.execute("INSERT INTO notes SELECT 't1', 'n' || i, md5(i::VARCHAR) FROM range(150000) r(i)");
    const secret = Array.from({ length: 12 }, (_, i) => [`t${i % 2}`, `secret-${i}`, `${markers[i]}:${randomBytes(6000).toString('base64')}`]);
    await db.warehouse.insert('notes', ['tenant_id', 'note_id', 'body'], secret);
    await db.warehouse.execute("INSERT INTO notes SELECT 't1', 'n' || i, md5(i::VARCHAR) FROM range(150000, 400000) r(i)");
    await db.warehouse.execute('CHECKPOINT');
    expect((await found()).length).toBeGreaterThan(6);

    await db.warehouse.deleteWhere('notes', 'note_id LIKE ?', ['secret-%']);
    await db.warehouse.execute('CHECKPOINT');
    // What a DELETE and a checkpoint leave: the values are still in the file.
    expect((await found()).length).toBeGreaterThan(6);

    // Single-row inserts keep arriving while the table is replaced: none may fail or be lost with the old table.
    let done = false;
    let written = 0;
    const writer = (async () => {
      while (!done) {
        await db.warehouse.insert('notes', ['tenant_id', 'note_id', 'body'], [['t2', `late-${written}`, 'written while the file was reclaimed']]);
        written++;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const report = await db.warehouse.reclaim(['notes']).finally(() => (done = true));
    await writer;
    expect(written).toBeGreaterThan(1);
    expect(report).toMatchObject({ engine: 'duckdb', tables: ['notes'] });
    expect(report.rowsRewritten).toBeGreaterThanOrEqual(400_000);
    expect(report.blocksScrubbed).toBeGreaterThan(0);
    expect(await found()).toEqual([]);
    const [count] = await db.warehouse.query<{ n: bigint }>('SELECT count(*) AS n FROM notes');
    expect(Number(count!.n)).toBe(400_000 + written);
    await expect(db.warehouse.execute("INSERT INTO notes VALUES ('t1', 'n7', 'again')")).rejects.toThrow(/constraint|duplicate/i);
    expect(await db.warehouse.hasRelation('companyos_reclaim_scrub')).toBe(false);
  }, 120_000);
});
