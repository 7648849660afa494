import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from './sha256-file.ts';

describe('sha256File', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-sha256-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // Sizes around the 4 MiB piece: a piece's bytes must not be overwritten by the next read before they are hashed.
  it.each([0, 1, 4 << 20, (4 << 20) + 1, (9 << 20) + 12_345])('hashes a file of %i bytes as its bytes hash', async (size) => {
    const bytes = randomBytes(size);
    const path = join(dir, `f-${size}`);
    await writeFile(path, bytes);
    expect(await sha256File(path)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('refuses a missing file with its error code', async () => {
    await expect(sha256File(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
