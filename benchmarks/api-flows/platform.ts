import type { ChildProcess } from 'node:child_process';
import { spawnPlatform } from '../lib/platform-process.ts';
import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  body: string;
  /** The `Server-Timing` header, when the platform sends it (`COMPANYOS_SERVER_TIMING`). */
  serverTiming?: string;
}

/** What a flow needs of a client: one call. */
export type Caller = Pick<Client, 'call'>;

export interface Platform {
  url: string;
  child: ChildProcess;
  /** Set when the process ended before `stopPlatform` asked it to. */
  died?: string;
}

/** The platform as its own process (see `spawnPlatform`), noting when it ends before `stopPlatform` asked it to. */
export async function startPlatform(env: Record<string, string>): Promise<Platform> {
  const { url, child } = await spawnPlatform(env);
  const platform: Platform = { url, child };
  child.once('exit', (code, signal) => {
    if (!child.killed) platform.died = `the platform exited on its own (${signal ?? `code ${code}`}) at ${new Date().toISOString()}`;
  });
  return platform;
}

/** SIGTERM, and SIGKILL if it is still there after 15 s. */
export async function stopPlatform(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** JSON over one keep-alive agent to the platform; never throws: a socket error or timeout is status 0. */
export class Client {
  readonly agent: Agent;

  constructor(
    readonly base: string,
    connections: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
  }

  call(method: string, path: string, token?: string, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const headers: Record<string, string | number> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length });
    return new Promise((resolve) => {
      const req = request(new URL(path, this.base), { method, agent: this.agent, headers, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const serverTiming = [res.headers['server-timing'] ?? []].flat().join(', ');
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ...(serverTiming ? { serverTiming } : {}) }));
        res.on('error', (error) => resolve({ status: 0, body: String(error) }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.on('error', (error) => resolve({ status: 0, body: String(error) }));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function inParallel<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}
