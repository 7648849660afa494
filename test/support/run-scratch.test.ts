import { execFileSync } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useRunScratch } from './run-scratch.ts';

describe('the test run scratch folder', () => {
  it('holds the temporary files of this worker and of the processes it starts', () => {
    const folder = basename(tmpdir());
    expect(folder).toMatch(/^companyos-test-run-\d+-/);
    const child = execFileSync(process.execPath, ['-e', 'console.log(require("node:os").tmpdir())'], { encoding: 'utf8' }).trim();
    expect(child).toBe(tmpdir());
  });

  it('removes the folders of runs whose process is gone, keeps live ones, and its own when asked', async () => {
    const parent = tmpdir();
    const abandoned = join(parent, 'companyos-test-run-2147483646-abc123');
    const live = join(parent, `companyos-test-run-${process.pid}-def456`);
    await mkdir(join(abandoned, 'leftover'), { recursive: true });
    await mkdir(live, { recursive: true });
    const scratch = await useRunScratch();
    try {
      expect(dirname(scratch.path)).toBe(parent);
      expect(tmpdir()).toBe(scratch.path);
      const names = await readdir(parent);
      expect(names).not.toContain(basename(abandoned));
      expect(names).toContain(basename(live));
    } finally {
      await scratch.remove();
    }
    expect(tmpdir()).toBe(parent);
    expect(await readdir(parent)).not.toContain(basename(scratch.path));
  });
});
