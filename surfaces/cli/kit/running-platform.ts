import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCompanyOsClient } from '../../../clients/typescript/index.ts';

/**
 * DuckDB lets one process write the database, so a running `companyos start`
 * records its address in the data dir; other commands send their work there.
 */
interface PlatformRecord {
  url: string;
  pid: number;
}

const FILE = 'platform.json';

export async function recordRunningPlatform(dataDir: string, url: string): Promise<void> {
  await writeFile(join(dataDir, FILE), JSON.stringify({ url, pid: process.pid } satisfies PlatformRecord));
}

export async function forgetRunningPlatform(dataDir: string): Promise<void> {
  await rm(join(dataDir, FILE), { force: true });
}

/** The URL of the platform serving this data dir, if one is up and answering. */
export async function findRunningPlatform(dataDir: string): Promise<string | undefined> {
  let record: PlatformRecord;
  try {
    record = JSON.parse(await readFile(join(dataDir, FILE), 'utf8')) as PlatformRecord;
    process.kill(record.pid, 0);
  } catch {
    return undefined;
  }
  try {
    const { response } = await createCompanyOsClient({ baseUrl: record.url }).GET('/healthz', { signal: AbortSignal.timeout(2000) });
    return response.ok ? record.url : undefined;
  } catch {
    return undefined;
  }
}
