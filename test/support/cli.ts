import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../dev/index.ts';

/** Runs the real `companyos` CLI (bin/companyos.js, through tsx) as child processes. */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningPlatform {
  /** The URL from the banner, e.g. http://127.0.0.1:43211. */
  url: string;
  /** The admin token for summit-internal from the banner. */
  token: string;
  /** The banner's one-use local development sign-in link for the report pages (none when providers are configured). */
  signInLink?: string;
  pid: number;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();

/** The environment a CLI child sees: this process's, minus any CompanyOS settings, plus the given ones. */
export function cliEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('COMPANYOS_') && name !== 'HOST' && name !== 'PORT') env[name] = value;
  }
  // Self-metering off unless a test asks for it: the API's own request events would change the event counts tests assert.
  return { ...env, COMPANYOS_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', COMPANYOS_LOG_LEVEL: 'warn', COMPANYOS_SELF_METERING_SAMPLE: '0', ...extra };
}

/** Spawns a long-running CLI command (tracked, so `killAllCliProcesses` ends it). */
export function spawnCli(args: readonly string[], dataDir: string, extra?: Record<string, string>): ChildProcess {
  // With the flags `npm start` gives the server: tests run what is deployed.
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, 'bin/companyos.js', ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(dataDir, extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Runs one CLI command to completion. `timeoutMs` guards against a hang: a loaded CI machine runs a full build in tens of
 * seconds, and the default stays under vitest's 60 s so a hung command still fails with its output.
 */
export async function runCli(
  args: readonly string[],
  options: { dataDir: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  const child = spawnCli(args, options.dataDir, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 55_000);
  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `companyos start` and resolves once its banner shows the URL and the token. */
export async function startPlatform(
  dataDir: string,
  args: readonly string[] = [],
  { env, timeoutMs = 45_000 }: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunningPlatform> {
  const child = spawnCli(['start', ...args], dataDir, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  exited.catch(() => undefined); // a spawn failure surfaces through the banner wait below

  const banner = await new Promise<{ url: string; token: string; signInLink?: string }>((resolve, reject) => {
    const check = () => {
      const url = /CompanyOS is running at (http:\/\/\S+)/.exec(stdout)?.[1];
      const token = /^ {2}export TOKEN=(\S+)$/m.exec(stdout)?.[1];
      const signInLink = /^ {2}(http\S+\/auth\/local\?code=\S+)$/m.exec(stdout)?.[1];
      if (url && token) finish(() => resolve({ url, token, signInLink }));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(() => reject(new Error(`companyos start exited (${code ?? signal}) before its banner.\nstdout:\n${stdout}\nstderr:\n${stderr}`)));
    const onError = (error: Error) => finish(() => reject(error));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new Error(`companyos start printed no banner in ${timeoutMs} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`)));
    }, timeoutMs);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('exit', onExit);
      child.off('error', onError);
      settle();
    };
    child.stdout!.on('data', check);
    child.once('exit', onExit);
    child.once('error', onError);
  });

  return {
    ...banner,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!hasExited(child)) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      try {
        const [code, exitSignal] = await exited;
        return { code, signal: exitSignal };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Stops with SIGTERM and expects a clean exit; a failure shows what the platform printed (its shutdown warnings). */
export async function expectCleanStop(platform: RunningPlatform): Promise<void> {
  const exit = await platform.stop('SIGTERM');
  const output = `stdout:\n${platform.stdout().slice(-4000)}\nstderr:\n${platform.stderr().slice(-4000)}`;
  expect(exit, `companyos start did not stop cleanly on SIGTERM.\n${output}`).toEqual({ code: 0, signal: null });
}

/** Kills every CLI process still running (for afterEach): no test leaves a server behind. */
export async function killAllCliProcesses(): Promise<void> {
  await Promise.all(
    [...live].map(async (child) => {
      if (hasExited(child)) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

/** Temp dirs under the OS temp folder, removed by `removeAll`. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = 'companyos-e2e-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
