import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from './duckdb-warehouse.ts';

/** Enough grouping work that the selection runs for a good fraction of a second on this machine. */
const SLOW_SELECTION = `SELECT 'acme' AS tenant_id, 'k' || (i % 3) AS k, count(DISTINCT md5(i::VARCHAR)) AS n FROM range(1000000) r(i) GROUP BY ALL`;

describe('merging selected rows into a DuckDB table by key', () => {
  let dir: string;
  let warehouse: DuckDBWarehouse;
  const rows = async () => warehouse.query<{ tenant_id: string; k: string; n: number }>('SELECT tenant_id, k, n FROM totals ORDER BY tenant_id, k');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'merge-'));
    warehouse = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'));
    await warehouse.execute('CREATE TABLE totals (tenant_id VARCHAR NOT NULL, k VARCHAR NOT NULL, n BIGINT NOT NULL)');
    await warehouse.execute("INSERT INTO totals VALUES ('acme', 'k0', 1), ('acme', 'k9', 9), ('globex', 'k0', 5)");
    await warehouse.execute('CREATE TABLE notes (tenant_id VARCHAR, body VARCHAR)');
  });
  afterEach(async () => {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces the rows whose key it selects, adds new keys, and leaves other tenants\' rows alone', async () => {
    await warehouse.mergeInto('totals', "SELECT 'acme' AS tenant_id, 'k0' AS k, 10 AS n UNION ALL SELECT 'acme', 'k1', 11", ['tenant_id', 'k']);
    expect(await rows()).toEqual([
      { tenant_id: 'acme', k: 'k0', n: 10 },
      { tenant_id: 'acme', k: 'k1', n: 11 },
      { tenant_id: 'acme', k: 'k9', n: 9 },
      { tenant_id: 'globex', k: 'k0', n: 5 },
    ]);
  });

  it('selects its rows without holding the writer: another write commits while the selection runs', async () => {
    let merged = false;
    const merge = warehouse.mergeInto('totals', SLOW_SELECTION, ['tenant_id', 'k']).then(() => (merged = true));
    await warehouse.transaction(() => warehouse.execute("INSERT INTO notes VALUES ('acme', 'written meanwhile')"));
    // Behind one writer the transaction would have waited for the whole merge.
    expect(merged).toBe(false);
    await merge;
    expect((await rows()).filter((r) => r.tenant_id === 'acme').map((r) => r.k)).toEqual(['k0', 'k1', 'k2', 'k9']);
    expect(await warehouse.query('SELECT body FROM notes')).toEqual([{ body: 'written meanwhile' }]);
  });

  it('changes nothing when the selection or the write fails, and says which merge failed', async () => {
    // A table of the staged rows' name outside the temporary schema is not the merge's to drop.
    await warehouse.execute("CREATE TABLE totals__incoming AS SELECT 'kept' AS note");
    await expect(warehouse.mergeInto('totals', 'SELECT no_such_column FROM totals', ['tenant_id', 'k'])).rejects.toThrow(/merge into totals.*no_such_column/s);
    // The selected rows break a NOT NULL column: the delete before the insert is rolled back with it.
    await expect(warehouse.mergeInto('totals', "SELECT 'acme' AS tenant_id, 'k0' AS k, NULL::BIGINT AS n", ['tenant_id', 'k'])).rejects.toThrow(/merge into totals/);
    expect(await rows()).toEqual([
      { tenant_id: 'acme', k: 'k0', n: 1 },
      { tenant_id: 'acme', k: 'k9', n: 9 },
      { tenant_id: 'globex', k: 'k0', n: 5 },
    ]);
    // Its connection went back clean: the next merges (the same staged name) work.
    for (let i = 0; i < 6; i++) await warehouse.mergeInto('totals', `SELECT 'acme' AS tenant_id, 'k0' AS k, ${i} AS n`, ['tenant_id', 'k']);
    expect((await rows())[0]).toEqual({ tenant_id: 'acme', k: 'k0', n: 5 });
    expect(await warehouse.query('SELECT note FROM totals__incoming')).toEqual([{ note: 'kept' }]);
  });

  it('closing during a merge: the merge lands whole or not at all, and says the warehouse closed', async () => {
    const merge = warehouse.mergeInto('totals', SLOW_SELECTION, ['tenant_id', 'k']).then(() => 'merged', (error: Error) => error.message);
    await warehouse.close();
    const outcome = await merge;
    expect(['merged', expect.stringMatching(/the warehouse is closed/)]).toContainEqual(outcome);
    warehouse = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'));
    const acme = (await rows()).filter((r) => r.tenant_id === 'acme').map((r) => `${r.k}=${r.n}`);
    expect(acme).toEqual(outcome === 'merged' ? ['k0=333334', 'k1=333333', 'k2=333333', 'k9=9'] : ['k0=1', 'k9=9']);
  });

  it('inside a transaction, is part of it: rolled back with it', async () => {
    const attempt = warehouse.transaction(async () => {
      await warehouse.mergeInto('totals', "SELECT 'acme' AS tenant_id, 'k0' AS k, 100 AS n", ['tenant_id', 'k']);
      expect((await rows())[0]!.n).toBe(1); // a reader does not see the transaction's merge yet
      throw new Error('changed my mind');
    });
    await expect(attempt).rejects.toThrow('changed my mind');
    expect((await rows())[0]).toEqual({ tenant_id: 'acme', k: 'k0', n: 1 });
  });
});
