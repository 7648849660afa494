import { spawnSync } from 'node:child_process';

export type Binary = { binary: string } | { missing: string };

/**
 * A binary from a Debian package: found as it is, or — when missing and we
 * are root, as CI is on a fresh machine — installed with apt-get first.
 */
export function ensureDebianPackage(
  packageName: string,
  find: () => string | undefined,
  log: (line: string) => void = () => {},
): Binary {
  const found = find();
  if (found) return { binary: found };
  if (process.getuid?.() !== 0) {
    return { missing: `${packageName} is not installed, and installing it (apt-get install ${packageName}) needs root` };
  }
  log(`installing ${packageName} with apt-get (once per machine)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', packageName], { env, encoding: 'utf8' });
  const installed = find();
  if (installed) return { binary: installed };
  return { missing: `apt-get could not install ${packageName}: ${(install.stderr || update.stderr || 'no output').trim().slice(-500)}` };
}

/** The first of `names` on the PATH. */
export function onPath(...names: string[]): string | undefined {
  const script = names.map((name) => `command -v ${name}`).join(' || ');
  return spawnSync('sh', ['-c', script], { encoding: 'utf8' }).stdout.trim() || undefined;
}
