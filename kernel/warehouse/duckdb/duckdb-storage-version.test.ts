import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DUCKDB_STORAGE_VERSION } from './duckdb-storage-version.ts';
import { DuckDBWarehouse } from './duckdb-warehouse.ts';

/** The storage format a DuckDB file was created in, as DuckDB itself reads it from the file. */
async function storageVersionOf(path: string): Promise<string> {
  const instance = await DuckDBInstance.create(path);
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll('SELECT tags FROM duckdb_databases() WHERE database_name = current_database()');
    connection.closeSync();
    return /storage_version': '([^']+)'/.exec(String(reader.getRows()[0]?.[0]))?.[1] ?? 'unknown';
  } finally {
    instance.closeSync();
  }
}

describe('the DuckDB warehouse file format', () => {
  let dir: string;
  /** The shell's own setting, put back after each test. */
  const shell = process.env.COMPANYOS_DUCKDB_STORAGE_VERSION;
  beforeEach(async () => {
    delete process.env.COMPANYOS_DUCKDB_STORAGE_VERSION;
    dir = await mkdtemp(join(tmpdir(), 'companyos-storage-version-'));
  });
  afterEach(async () => {
    if (shell === undefined) delete process.env.COMPANYOS_DUCKDB_STORAGE_VERSION;
    else process.env.COMPANYOS_DUCKDB_STORAGE_VERSION = shell;
    await rm(dir, { recursive: true, force: true });
  });

  it(`creates its files in DuckDB's ${DUCKDB_STORAGE_VERSION} format, not DuckDB's default (v1.0)`, async () => {
    const path = join(dir, 'warehouse.duckdb');
    const warehouse = await DuckDBWarehouse.open(path);
    await warehouse.execute('CREATE TABLE t (id BIGINT, note VARCHAR)');
    await warehouse.insert('t', ['id', 'note'], [[1, 'one']]);
    await warehouse.close();
    expect(await storageVersionOf(path)).toBe(`${DUCKDB_STORAGE_VERSION}+`);
  });

  it('creates them in the format COMPANYOS_DUCKDB_STORAGE_VERSION names, and refuses one that is not a version', async () => {
    const path = join(dir, 'asked.duckdb');
    process.env.COMPANYOS_DUCKDB_STORAGE_VERSION = 'v1.0.0';
    try {
      const warehouse = await DuckDBWarehouse.open(path);
      await warehouse.execute('CREATE TABLE t (id BIGINT)');
      await warehouse.close();
      expect(await storageVersionOf(path)).toBe('v1.0.0+');
      process.env.COMPANYOS_DUCKDB_STORAGE_VERSION = 'newest';
      await expect(DuckDBWarehouse.open(join(dir, 'refused.duckdb'))).rejects.toThrow(/^COMPANYOS_DUCKDB_STORAGE_VERSION must be a DuckDB storage version/);
      process.env.COMPANYOS_DUCKDB_STORAGE_VERSION = 'v9.9.9';
      await expect(DuckDBWarehouse.open(join(dir, 'unknown.duckdb'))).rejects.toThrow('this DuckDB has no storage version "v9.9.9" (COMPANYOS_DUCKDB_STORAGE_VERSION)');
    } finally {
      delete process.env.COMPANYOS_DUCKDB_STORAGE_VERSION;
    }
    expect(await readdir(dir)).toEqual(['asked.duckdb']);
  });

  it('opens a file created in the old format, writes to it and keeps its format', async () => {
    const path = join(dir, 'old.duckdb');
    const old = await DuckDBInstance.create(path);
    const connection = await old.connect();
    await connection.run("CREATE TABLE t AS SELECT i AS id, 'row ' || i AS note FROM range(1000) AS r(i)");
    connection.closeSync();
    old.closeSync();
    const before = await storageVersionOf(path);
    expect(before).not.toBe(`${DUCKDB_STORAGE_VERSION}+`);

    const warehouse = await DuckDBWarehouse.open(path);
    await warehouse.insert('t', ['id', 'note'], [[1000, 'row 1000']]);
    await warehouse.execute('CHECKPOINT');
    expect(await warehouse.query('SELECT count(*) AS n, max(note) AS last FROM t')).toEqual([{ n: 1001, last: 'row 999' }]);
    await warehouse.close();
    expect(await storageVersionOf(path)).toBe(before);
  });
});
