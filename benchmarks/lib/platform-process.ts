import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../dev/index.ts';

const PROGRAM = fileURLToPath(new URL('../../bin/companyos.js', import.meta.url));

/**
 * `companyos start --no-seed` as its own process, with `env` on top of ours
 * (a free port, warn-level logs); resolves with its URL once it prints it.
 * The caller stops it (SIGTERM).
 */
export async function spawnPlatform(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // With the flags `npm start` gives the server: the benchmarks measure what is deployed.
  const child = spawn(process.execPath, [...profile, ...SERVER_NODE_FLAGS, PROGRAM, 'start', '--no-seed'], {
    env: { ...process.env, ...env, PORT: '0', COMPANYOS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
