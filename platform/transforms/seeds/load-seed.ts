import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import type { Seed } from './seed-file.ts';

/** Loads a seed as text into a staging table, then builds the typed table from it in one statement. */
export async function loadSeed(warehouse: Warehouse, name: string, seed: Seed): Promise<number> {
  const staging = `${name}__seed_load`;
  const names = seed.columns.map((c) => c.name);
  await warehouse.materialize(staging, 'table', `SELECT ${names.map((c) => `'' AS ${c}`).join(', ')} LIMIT 0`);
  try {
    await warehouse.insert(staging, names, seed.rows);
    const typed = seed.columns.map((c) => `${warehouse.dialect.castText(c.name, c.kind)} AS ${c.name}`);
    await warehouse.materialize(name, 'table', `SELECT ${typed.join(', ')} FROM ${staging}`);
  } finally {
    await warehouse.execute(`DROP TABLE IF EXISTS ${staging}`);
  }
  return seed.rows.length;
}
