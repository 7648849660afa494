import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** An export file an erasure removed: which, and the digest its run's receipt named. */
export interface ErasedExport {
  file: string;
  sha256: string;
  bytes: number;
}

/**
 * Removes each of the tenant's export files that holds `text` (a requester exports again when
 * needed); what is left holds none of it. Files being written (`.partial`) are included. Each
 * file is read as a stream, so an export of any size is searched in constant memory.
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
    const found = await search(path, needle);
    if (!found.holds) continue;
    await rm(path, { force: true });
    erased.push({ file: name, sha256: found.sha256, bytes: found.bytes });
  }
  return erased;
}

/** Whether the file holds `needle` (also across chunk boundaries), with its SHA-256 and size. */
async function search(path: string, needle: Buffer): Promise<{ holds: boolean; sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let holds = false;
  let bytes = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    if (!holds) {
      const window = Buffer.concat([tail, chunk]);
      holds = window.includes(needle);
      tail = window.subarray(Math.max(0, window.length - needle.length + 1));
    }
  }
  return { holds, sha256: hash.digest('hex'), bytes };
}
