import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'companyos-test-run-';

/**
 * Points `TMPDIR` at a folder of this test run's own, so the temporary files the tests make through `os.tmpdir()` —
 * and those of the platforms, servers and CLIs they start, which inherit the variable — land under it; the returned
 * function removes it (a JVM's own files and the fixed `/tmp/...` paths a few suites name are not covered). A test that forgets its cleanup (or is killed before it runs) then leaks nothing past the run:
 * before this, a day of runs left ~30,000 folders in /tmp. Folders of earlier runs whose process is gone
 * (killed, or the machine stopped) are removed first.
 */
export async function useRunScratch(): Promise<{ path: string; remove: () => Promise<void> }> {
  const parent = tmpdir();
  await removeAbandonedRuns(parent);
  const path = await mkdtemp(join(parent, `${PREFIX}${process.pid}-`));
  // As /tmp itself: servers that run as their own user (PostgreSQL's initdb as `postgres`) make their folders here too.
  await chmod(path, 0o1777);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = path;
  return {
    path,
    remove: async () => {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

async function removeAbandonedRuns(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1];
    if (pid && !isRunning(Number(pid))) await rm(join(parent, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
