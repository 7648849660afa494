import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** An export file an erasure removed: which, and the digest its run's receipt named. */
export interface ErasedExport {
  file: string;
  sha256: string;
  bytes: number;
}

/**
 * Removes each of the tenant's export files that holds `text` (a requester exports again when
 * needed); what is left holds none of it. Files being written (`.partial`) are included.
 */
export async function eraseExports(tenantDir: string, text: string): Promise<ErasedExport[]> {
  const names = await readdir(tenantDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const erased: ErasedExport[] = [];
  const needle = Buffer.from(text, 'utf8');
  for (const name of names.sort()) {
    const path = join(tenantDir, name);
    const bytes = await readFile(path);
    if (!bytes.includes(needle)) continue;
    await rm(path, { force: true });
    erased.push({ file: name, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
  }
  return erased;
}
