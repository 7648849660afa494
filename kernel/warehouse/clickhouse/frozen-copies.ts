import { constants } from 'node:fs';
import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** ClickHouse's file name of a database or table: identifiers of the platform are plain, so themselves. */
export function escapeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * The server's `<path>` from a table's data folder (`<path>data/<database>/<table>/`) when this
 * machine can read and write there (it is the ClickHouse host); otherwise why not.
 */
export async function serverDataRoot(dataPath: string, database: string): Promise<{ root: string } | { unreachable: string }> {
  const marker = `/data/${escapeFileName(database)}/`;
  const at = dataPath.lastIndexOf(marker);
  if (at < 0) return { unreachable: `unexpected data path ${dataPath}` };
  const root = dataPath.slice(0, at + 1);
  try {
    await access(join(root, 'data'), constants.R_OK | constants.X_OK);
    await access(root, constants.W_OK);
    return { root };
  } catch (error) {
    return { unreachable: `${root} is not readable and writable here (${(error as Error).message})` };
  }
}

/**
 * Removes every frozen copy (`ALTER TABLE … FREEZE`, in `<root>/shadow/<name>/data/<db>/<table>/`) of
 * `tables`: hard links to parts that a delete has since replaced, which would keep the deleted rows
 * for ever. Answers how many copies went.
 */
export async function removeFrozenCopies(root: string, database: string, tables: readonly string[]): Promise<number> {
  const shadow = join(root, 'shadow');
  const freezes = await readdir(shadow, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  let removed = 0;
  for (const freeze of freezes.filter((entry) => entry.isDirectory())) {
    for (const table of tables) {
      const copy = join(shadow, freeze.name, 'data', escapeFileName(database), escapeFileName(table));
      const present = await access(copy).then(() => true, () => false);
      if (!present) continue;
      await rm(copy, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
