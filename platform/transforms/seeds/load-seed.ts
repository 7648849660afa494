import type { Dialect, Warehouse } from '../../../kernel/warehouse/index.ts';
import type { Seed } from './seed-file.ts';

/**
 * The most SQL a seed's rows may take written into its model's SELECT (well under ClickHouse's 256 KiB
 * `max_query_size`); a larger seed goes through a staging table.
 */
const INLINE_SEED_BYTES = 64 * 1024;

/**
 * Loads a seed as a typed table. A small one in one statement, its rows written into the SELECT (on a cluster a
 * staging table costs four more `ON CLUSTER` statements); a larger one as text into a staging table first.
 */
export async function loadSeed(warehouse: Warehouse, name: string, seed: Seed): Promise<number> {
  const typed = seed.columns.map((c) => `${warehouse.dialect.castText(c.name, c.kind)} AS ${c.name}`).join(', ');
  const rows = inlineRows(warehouse.dialect, seed);
  if (rows !== undefined) {
    await warehouse.materialize(name, 'table', `SELECT ${typed} FROM (${rows}) AS seed_rows`);
    return seed.rows.length;
  }
  const staging = `${name}__seed_load`;
  const names = seed.columns.map((c) => c.name);
  await warehouse.materialize(staging, 'table', `SELECT ${names.map((c) => `'' AS ${c}`).join(', ')} LIMIT 0`);
  try {
    await warehouse.insert(staging, names, seed.rows);
    await warehouse.materialize(name, 'table', `SELECT ${typed} FROM ${staging}`);
  } finally {
    await warehouse.execute(`DROP TABLE IF EXISTS ${staging}`);
  }
  return seed.rows.length;
}

/** The seed's rows as text, one SELECT of literals a row joined by UNION ALL; undefined when they would take too much SQL. */
function inlineRows(dialect: Dialect, seed: Seed): string | undefined {
  const names = seed.columns.map((c) => c.name);
  if (seed.rows.length === 0) return `SELECT ${names.map((c) => `'' AS ${c}`).join(', ')} LIMIT 0`;
  const selects: string[] = [];
  let bytes = 0;
  for (const row of seed.rows) {
    // A NUL ends the statement's text for DuckDB's parser: such a value goes in as a bound row instead.
    if (row.some((value) => value.includes('\0'))) return undefined;
    const select = `SELECT ${row.map((value, i) => `${dialect.textLiteral(value)} AS ${names[i]}`).join(', ')}`;
    bytes += Buffer.byteLength(select) + ' UNION ALL '.length;
    if (bytes > INLINE_SEED_BYTES) return undefined;
    selects.push(select);
  }
  return selects.join(' UNION ALL ');
}
