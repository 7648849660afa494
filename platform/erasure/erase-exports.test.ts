import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eraseExports } from './erase-exports.ts';

describe('eraseExports', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'erase-exports-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('removes the files holding the subject — also where it straddles a read chunk — and keeps the rest', async () => {
    const subject = 'customer-4711';
    // The stream reads 64 KiB chunks: the subject starts 5 bytes before the first boundary.
    const straddling = Buffer.concat([Buffer.alloc(65_536 - 5, 'x'), Buffer.from(`${subject}\n`), Buffer.alloc(10_000, 'y')]);
    await writeFile(join(dir, 'run-1.ndjson'), straddling);
    await writeFile(join(dir, 'run-2.ndjson'), `{"subject":"customer-4712"}\n`);
    await writeFile(join(dir, 'run-3.ndjson.partial'), `{"subject":"${subject}"}\n`);
    const erased = await eraseExports(dir, subject);
    expect(erased).toEqual([
      { file: 'run-1.ndjson', sha256: createHash('sha256').update(straddling).digest('hex'), bytes: straddling.length },
      { file: 'run-3.ndjson.partial', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: 28 },
    ]);
    expect(await readdir(dir)).toEqual(['run-2.ndjson']);
  });

  it('is a no-op for a tenant that never exported', async () => {
    expect(await eraseExports(join(dir, 'nobody'), 'customer-4711')).toEqual([]);
  });
});
