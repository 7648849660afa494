import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackage, type Binary } from '../debian-package.ts';
import { freePort } from '../free-ports.ts';

/** A throwaway PostgreSQL cluster on loopback (initdb in a temp dir), for tests and benchmarks. */
export interface LocalPostgres {
  /** `postgres://companyos@127.0.0.1:<port>/postgres`: trust authentication on loopback only. */
  url: string;
  /** Stops the server and removes the cluster. */
  stop(): Promise<void>;
}

/** Debian's server binaries: `/usr/lib/postgresql/<major>/bin`, the newest major present. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  return majors.map((major) => join(root, major, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
}

/** The folder of the server binaries; Debian's `postgresql` is installed first when missing and root. */
export function ensurePostgres(log?: (line: string) => void): Binary {
  return ensureDebianPackage('postgresql', findPostgresBin, log);
}

/**
 * initdb into a new temp dir and starts `postgres` on a free loopback port with pg_ctl (fsync off:
 * a test cluster; `durable` keeps fsync on, as a benchmark compares against DuckDB's synced commits).
 * PostgreSQL refuses to run as root, so under root (CI) the cluster belongs to the `postgres` user
 * the Debian package creates, and the server runs as that user.
 */
export async function startLocalPostgres(bin: string, timeoutMs = 30_000, { durable = false } = {}): Promise<LocalPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'companyos-postgres-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => (asRoot ? { command: 'runuser', args: ['-u', 'postgres', '--', command, ...args] } : { command, args });
  if (asRoot) {
    await chmod(dir, 0o777);
    spawnSync('chown', ['postgres:postgres', dir]);
  }
  const init = run(join(bin, 'initdb'), ['-D', data, '-U', 'companyos', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const initialized = spawnSync(init.command, init.args, { encoding: 'utf8' });
  if (initialized.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(initialized.stderr || initialized.stdout).trim().slice(-800)}`);
  }
  const port = await freePort();
  // pg_ctl runs the server in the background and waits until it accepts connections; stopping it is pg_ctl's too.
  const ctl = (args: string[]) => {
    const command = run(join(bin, 'pg_ctl'), ['-D', data, ...args]);
    return spawnSync(command.command, command.args, { encoding: 'utf8', timeout: timeoutMs + 5_000 });
  };
  const options = `-p ${port} -h 127.0.0.1 -k ${dir}${durable ? '' : ' -F'} -c max_connections=200`;
  const started = ctl(['-l', join(dir, 'server.log'), '-o', options, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), 'start']);
  const stop = async () => {
    ctl(['-m', 'fast', '-w', 'stop']);
    await rm(dir, { recursive: true, force: true });
  };
  if (started.status !== 0) {
    const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`postgres did not start: ${(started.stderr || started.stdout).trim().slice(-400)}\n${log.slice(-1200)}`);
  }
  return { url: `postgres://companyos@127.0.0.1:${port}/postgres`, stop };
}
