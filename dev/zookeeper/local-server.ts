import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackage, onPath, type Binary } from '../debian-package.ts';
import { freePort } from '../free-ports.ts';
import { stopChild } from '../stop-child.ts';

/** A throwaway standalone ZooKeeper on loopback (ClickHouse's replication coordinator), for tests and benchmarks. */
export interface LocalZooKeeper {
  host: '127.0.0.1';
  port: number;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
  /** SIGKILLs the server but keeps its data and port (an outage). */
  kill(): Promise<void>;
  /** Starts the killed server again on the same data and port. */
  restart(): Promise<void>;
}

/** Debian's `zookeeper` ships its server classes in one jar, run by the JRE it depends on. */
const JAR = '/usr/share/java/zookeeper.jar';

function findZooKeeper(): string | undefined {
  return existsSync(JAR) && onPath('java') ? JAR : undefined;
}

/** The server's jar; Debian's `zookeeper` (and a JRE) is installed first when missing and root. */
export function ensureZooKeeper(log?: (line: string) => void): Binary {
  return ensureDebianPackage('zookeeper', findZooKeeper, log);
}

/**
 * A standalone server (`ZooKeeperServerMain`) on a free loopback port, data in a temp dir. Ready once
 * the `srvr` command reports a mode: a server can accept connections and still fail while starting.
 */
export async function startLocalZooKeeper(jar: string, timeoutMs = 30_000): Promise<LocalZooKeeper> {
  const dir = await mkdtemp(join(tmpdir(), 'companyos-zookeeper-'));
  await mkdir(join(dir, 'data'));
  const port = await freePort();
  await writeFile(join(dir, 'zoo.cfg'), [
    'tickTime=500',
    `dataDir=${join(dir, 'data')}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'admin.enableServer=false',
    '4lw.commands.whitelist=srvr,ruok',
    // Sessions may last 1–20 s (2–40 ticks): ClickHouse asks for 30 s and gets 20.
    'minSessionTimeout=1000',
    'maxSessionTimeout=20000',
    // A test server: no fsync per transaction.
    'forceSync=no',
    '',
  ].join('\n'));
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('java', ['-Xmx256m', '-Xss512k', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', jar, 'org.apache.zookeeper.server.ZooKeeperServerMain', join(dir, 'zoo.cfg')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const errors: Buffer[] = [];
    child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk));
    try {
      await waitForMode(port, child, timeoutMs);
    } catch (error) {
      await stopChild(child);
      throw new Error(`${(error as Error).message}\n${Buffer.concat(errors).toString().split('\n').slice(-15).join('\n')}`, { cause: error });
    }
  };
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await launch();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    stop,
    kill: async () => {
      child.kill('SIGKILL');
      await stopChild(child);
    },
    restart: launch,
  };
}

/** The server's reply to a four-letter command, or undefined when it does not answer. */
export function fourLetterWord(port: number, word: string, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('connect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(chunks.length ? Buffer.concat(chunks).toString() : undefined));
    socket.on('error', () => undefined);
  });
}

async function waitForMode(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`ZooKeeper exited with code ${child.exitCode} while starting`);
    if (/^Mode: /m.test((await fourLetterWord(port, 'srvr')) ?? '')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`ZooKeeper on 127.0.0.1:${port} reported no mode within ${timeoutMs / 1000} s`);
}
