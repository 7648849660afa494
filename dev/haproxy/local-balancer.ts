import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackage, onPath, type Binary } from '../debian-package.ts';
import { freePort } from '../free-ports.ts';
import { stopChild } from '../stop-child.ts';

/** The deployed configuration (deploy/scale-out/haproxy.cfg), run as it is: addresses come from its environment. */
export const HAPROXY_CONFIG = fileURLToPath(new URL('../../deploy/scale-out/haproxy.cfg', import.meta.url));

/** HAProxy in front of the platform's replicas on loopback, for tests and benchmarks. */
export interface LocalBalancer {
  url: string;
  stop(): Promise<void>;
}

/** Debian's `haproxy`, installed first when missing and root. */
export function ensureHaproxy(log?: (line: string) => void): Binary {
  return ensureDebianPackage('haproxy', () => onPath('haproxy') ?? (onPath('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : undefined), log);
}

/**
 * Runs `haproxy -db` (foreground) on the deployed configuration with the replicas at `replicas`
 * (`host:port`, as many as the file has `server` lines), listening on a free loopback port.
 */
export async function startLocalBalancer(binary: string, replicas: readonly string[], timeoutMs = 10_000): Promise<LocalBalancer> {
  const port = await freePort();
  const env = { ...process.env, COMPANYOS_LB_BIND: `127.0.0.1:${port}`, ...Object.fromEntries(replicas.map((address, i) => [`COMPANYOS_REPLICA_${i + 1}`, address])) };
  const child: ChildProcess = spawn(binary, ['-db', '-f', HAPROXY_CONFIG], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const errors: Buffer[] = [];
  child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk));
  const deadline = Date.now() + timeoutMs;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`haproxy did not listen on 127.0.0.1:${port}: ${Buffer.concat(errors).toString().trim().slice(-800)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
