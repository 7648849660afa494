import { describe, expect, it } from 'vitest';
import { useDuckDBFile } from '../../../test/support/duckdb-file.ts';
import { WarehouseError } from '../errors.ts';

describe('DuckDB read sessions (kept rows)', () => {
  const db = useDuckDBFile(async (warehouse) => {
    await warehouse.execute('CREATE TABLE notes (tenant_id VARCHAR, body VARCHAR)');
    await warehouse.insert('notes', ['tenant_id', 'body'], [['acme', 'a1'], ['acme', 'a2'], ['globex', 'g1']]);
  });

  it('keeps rows for the reads of its own session only, and drops them when it ends', async () => {
    let name = '';
    // Two sessions at once, one a tenant: neither sees the other's kept rows, nor does a plain read.
    const [acme, globex] = await Promise.all(['acme', 'globex'].map((tenant) => db.warehouse.readSession(async (session) => {
      const kept = await session.keep('SELECT * FROM notes WHERE tenant_id = ?', [tenant]);
      if (tenant === 'acme') name = kept;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const mine = await session.query<{ body: string }>(`SELECT body FROM ${kept} ORDER BY body`);
      return { kept, bodies: mine.map((row) => row.body) };
    })));
    expect(acme!.bodies).toEqual(['a1', 'a2']);
    expect(globex!.bodies).toEqual(['g1']);
    expect(acme!.kept).not.toBe(globex!.kept);
    await expect(db.warehouse.query(`SELECT * FROM ${name}`)).rejects.toThrow(/does not exist/);
    // Connections go back to the pool: a later session on the same connection finds nothing left behind.
    for (let i = 0; i < 3; i++) {
      const left = await db.warehouse.readSession((session) => session.query<{ n: number }>(
        "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE temporary AND table_name LIKE 'kept_%'",
      ));
      expect(left[0]!.n).toBe(0);
    }
  });

  it('answers a query it cannot run with a WarehouseError and stays usable, its earlier kept rows intact', async () => {
    await db.warehouse.readSession(async (session) => {
      const kept = await session.keep('SELECT body FROM notes WHERE tenant_id = ?', ['acme']);
      await expect(session.keep('SELECT nope FROM notes')).rejects.toBeInstanceOf(WarehouseError);
      await expect(session.query('SELECT * FROM missing_table')).rejects.toBeInstanceOf(WarehouseError);
      expect(await session.query(`SELECT count(*)::INTEGER AS n FROM ${kept}`)).toEqual([{ n: 2 }]);
    });
    expect(await db.warehouse.query('SELECT count(*)::INTEGER AS n FROM notes')).toEqual([{ n: 3 }]);
  });

  it('does not hold back writes while it reads', async () => {
    await db.warehouse.readSession(async (session) => {
      const kept = await session.keep('SELECT * FROM notes');
      await db.warehouse.insert('notes', ['tenant_id', 'body'], [['acme', 'a3']]);
      // The kept rows are the ones read when kept; the table has the new row.
      expect(await session.query(`SELECT count(*)::INTEGER AS n FROM ${kept}`)).toEqual([{ n: 3 }]);
      expect(await session.query('SELECT count(*)::INTEGER AS n FROM notes')).toEqual([{ n: 4 }]);
    });
  });
});
