import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath } from './debian-package.ts';

const CACHE = join(homedir(), '.cache', 'companyos', 'prometheus');
const EXTRACTED = join(CACHE, 'usr', 'bin', 'promtool');

/**
 * `promtool`, to check generated alerting rules: on the PATH, or unpacked from
 * Debian's `prometheus` package into ~/.cache (downloaded, not installed: no
 * server is set up). Undefined when neither works; the caller says so.
 */
export function findPromtool(log: (line: string) => void = () => {}): string | undefined {
  const found = onPath('promtool') ?? (existsSync(EXTRACTED) ? EXTRACTED : undefined);
  if (found) return found;
  const scratch = mkdtempSync(join(tmpdir(), 'companyos-prometheus-'));
  try {
    log('downloading Debian\'s prometheus package for promtool (once per machine)…');
    let download = spawnSync('apt-get', ['download', '-qq', 'prometheus'], { cwd: scratch, encoding: 'utf8' });
    if (download.status !== 0 && process.getuid?.() === 0) {
      spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8' });
      download = spawnSync('apt-get', ['download', '-qq', 'prometheus'], { cwd: scratch, encoding: 'utf8' });
    }
    const deb = readdirSync(scratch).find((file) => file.endsWith('.deb'));
    if (!deb) return undefined;
    mkdirSync(CACHE, { recursive: true });
    spawnSync('dpkg-deb', ['-x', join(scratch, deb), CACHE], { encoding: 'utf8' });
    return existsSync(EXTRACTED) ? EXTRACTED : undefined;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
