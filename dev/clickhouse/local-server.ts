import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackage, onPath, type Binary } from '../debian-package.ts';
import { freePorts } from '../free-ports.ts';
import { stopChild } from '../stop-child.ts';

/**
 * A throwaway ClickHouse server on loopback, for tests and benchmarks: its own
 * config and data in a temp dir, free ports, stopped and removed afterwards.
 */
export interface LocalClickHouse {
  url: string;
  /** The server's data folder (`<path>`): what a byte search of its storage reads. */
  dataPath: string;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
  /** Stops the server process but keeps its data and ports (an outage). */
  kill(): Promise<void>;
  /** Starts the killed server again on the same data and ports. */
  restart(): Promise<void>;
  /** The server process's id while it runs (for measuring its CPU). */
  pid(): number | undefined;
}

export type ClickHouseBinary = Binary;

const CANDIDATES = ['/usr/bin/clickhouse-server', '/usr/sbin/clickhouse-server', '/usr/bin/clickhouse'];

export function findClickHouseServer(): string | undefined {
  return onPath('clickhouse-server') ?? CANDIDATES.find((path) => existsSync(path));
}

/** The server binary; Debian's `clickhouse-server` is installed first when missing and root. */
export function ensureClickHouseServer(log?: (line: string) => void): ClickHouseBinary {
  return ensureDebianPackage('clickhouse-server', findClickHouseServer, log);
}

export async function startLocalClickHouse(binary: string, timeoutMs = 60_000): Promise<LocalClickHouse> {
  const [httpPort, tcpPort] = await freePorts(2);
  return launchClickHouse(binary, { httpPort: httpPort!, tcpPort: tcpPort! }, '', timeoutMs);
}

export interface ClickHousePorts {
  httpPort: number;
  tcpPort: number;
}

/**
 * A server in a new temp dir with our config plus `extraConfig` (XML elements inside `<yandex>`:
 * a cluster's remote servers, ZooKeeper, macros), waited for until it answers `/ping`.
 */
export async function launchClickHouse(binary: string, ports: ClickHousePorts, extraConfig: string, timeoutMs = 60_000): Promise<LocalClickHouse> {
  const dir = await mkdtemp(join(tmpdir(), 'companyos-clickhouse-'));
  for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) await mkdir(join(dir, sub));
  await writeFile(join(dir, 'config.xml'), serverConfig(dir, ports, extraConfig));
  await writeFile(join(dir, 'users.xml'), USERS_CONFIG);
  const url = `http://127.0.0.1:${ports.httpPort}`;
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(binary, [`--config-file=${join(dir, 'config.xml')}`], { stdio: 'ignore' });
    try {
      await waitUntilAnswering(url, child, timeoutMs);
    } catch (error) {
      const log = await readFile(join(dir, 'log', 'err.log'), 'utf8').catch(() => '');
      await stop();
      throw new Error(`${(error as Error).message}\n${log.split("\n").slice(-15).join("\n")}`, { cause: error });
    }
  };
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  await launch();
  return { url, dataPath: join(dir, 'data'), stop, kill: () => stopChild(child), restart: launch, pid: () => child.pid };
}

async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`clickhouse-server exited with code ${child.exitCode} while starting`);
    try {
      const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`clickhouse-server did not answer on ${url} within ${timeoutMs / 1000} s`);
}

function serverConfig(dir: string, { httpPort, tcpPort }: ClickHousePorts, extraConfig: string): string {
  return `<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/err.log</errorlog><console>0</console></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <!-- Parts a mutation or merge replaced are removed after 10 s (default 480 s): an erasure's reclaim waits for them in seconds, long enough that a reclaim which did not wait would be seen. -->
  <merge_tree><old_parts_lifetime>10</old_parts_lifetime></merge_tree>
${extraConfig}</yandex>
`;
}

const USERS_CONFIG = `<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`;
