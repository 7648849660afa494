import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PROGRAM = fileURLToPath(new URL('../../bin/companyos.js', import.meta.url));

/** The Node flags of the program's shebang (`#!/usr/bin/env -S node <flags>`). */
function shebangFlags(): string[] {
  return readFileSync(PROGRAM, 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(3);
}

/**
 * `companyos start --no-seed` as its own process, with `env` on top of ours
 * (a free port, warn-level logs); resolves with its URL once it prints it.
 * The caller stops it (SIGTERM).
 */
export async function spawnPlatform(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const childEnv = { ...process.env, ...env, PORT: '0', COMPANYOS_LOG_LEVEL: 'warn' };
  // Run as a program, as `npm start` does: its shebang carries the server's V8 flags. Node refuses --cpu-prof in
  // NODE_OPTIONS, so a profiled run starts Node itself, with the shebang's flags.
  const dir = process.env.BENCH_CPU_PROF;
  const child = dir
    ? spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...shebangFlags(), PROGRAM, 'start', '--no-seed'], { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(PROGRAM, ['start', '--no-seed'], { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk;
        const match = /running at (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`the platform exited (${code}) before serving`)));
    });
    child.stdout!.resume();
    return { url, child };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
