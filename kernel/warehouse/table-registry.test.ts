import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { createTableSql, nativeType } from './table-registry.ts';
import { platformTables } from '../../surfaces/compose/index.ts';

/** The whole registry: the kernel's tables and every pack's. */
const TABLES = platformTables();
/** What the warehouse's migrations make: all but the tables born in the state store (kernel/state creates those). */
const MIGRATED = TABLES.filter((table) => !table.state?.onlyInStateStore);
import type { Warehouse } from './warehouse.ts';

/** Tables an adapter keeps for itself, not part of the schema the platform writes. */
const ADAPTER_INTERNAL = ['events_keys'];

async function baseTables(warehouse: Warehouse): Promise<string[]> {
  const rows = warehouse.engine === 'duckdb'
    ? await warehouse.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_type = 'BASE TABLE'")
    : await warehouse.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()');
  return rows.map((r) => r.name).filter((name) => !ADAPTER_INTERNAL.includes(name)).sort();
}

async function clickhouseStorage(warehouse: Warehouse, name: string): Promise<string> {
  const [row] = await warehouse.query<{ engine: string }>('SELECT engine_full AS engine FROM system.tables WHERE database = currentDatabase() AND name = ?', [name]);
  return row!.engine;
}

describe('the table registry', () => {
  it('declares each table once (kernel and packs together), its tenant column first in the key, its key columns among its columns', () => {
    expect(new Set(TABLES.map((t) => t.name)).size).toBe(TABLES.length);
    for (const table of TABLES) {
      const names = table.columns.map((c) => c.name);
      expect(new Set(names).size, table.name).toBe(names.length);
      for (const column of table.key) expect(names, `${table.name}.${column}`).toContain(column);
      if (table.tenantColumn) expect([table.key[0], names[0]], table.name).toEqual([table.tenantColumn, table.tenantColumn]);
      if (table.clickhouse.version) expect(names, table.name).toContain(table.clickhouse.version);
    }
  });
});

describe.each(TEST_ENGINES)('the table registry on %s', (engine) => {
  const db = useWarehouse(engine);

  it('is the schema the migrations leave: every table, every column, in order, of its type', async () => {
    expect(await baseTables(db.warehouse)).toEqual(MIGRATED.map((t) => t.name).sort());
    for (const table of MIGRATED) {
      const actual = (await db.warehouse.columns(table.name)).map((c) => `${c.name} ${c.type.replace(/\s+/g, ' ')}`);
      expect(actual, table.name).toEqual(table.columns.map((c) => `${c.name} ${nativeType(c, engine)}`));
    }
  });

  it('creates each table again from its declaration, with the same shape and storage', async () => {
    for (const table of MIGRATED) {
      const copy = `${table.name}__derived`;
      await db.warehouse.execute(createTableSql(table, engine, copy));
      expect(await db.warehouse.columns(copy), table.name).toEqual(await db.warehouse.columns(table.name));
      if (engine === 'clickhouse') expect(await clickhouseStorage(db.warehouse, copy), table.name).toBe(await clickhouseStorage(db.warehouse, table.name));
    }
  });
});
