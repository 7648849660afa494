import type { TestProject } from 'vitest/node';
import { ensureClickHouseServer, startLocalClickHouse, type LocalClickHouse } from '../deploy/clickhouse/local-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** HTTP URL of the ClickHouse server the suites run against, or null when it is unavailable. */
    clickhouseUrl: string | null;
    /** Why the ClickHouse suites are skipped, when they are. */
    clickhouseSkipReason: string | null;
  }
}

/**
 * Provides the real engines for the whole run: a ClickHouse server on loopback
 * (COMPANYOS_TEST_CLICKHOUSE_URL to use one already running). Without the
 * binary and without root the ClickHouse suites are skipped with the reason;
 * under CI a missing engine fails the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: LocalClickHouse | undefined;
  let url = process.env.COMPANYOS_TEST_CLICKHOUSE_URL || null;
  let skipReason: string | null = null;
  if (!url) {
    const found = ensureClickHouseServer((line) => console.log(line));
    if ('missing' in found) {
      skipReason = found.missing;
    } else {
      server = await startLocalClickHouse(found.binary);
      url = server.url;
    }
  }
  if (skipReason && ['true', '1'].includes(process.env.CI ?? '')) {
    throw new Error(`CI=true and the ClickHouse engine is unavailable: ${skipReason}`);
  }
  if (skipReason) console.warn(`\nClickHouse suites are skipped: ${skipReason}\n`);
  project.provide('clickhouseUrl', url);
  project.provide('clickhouseSkipReason', skipReason);
  return async () => {
    await server?.stop();
  };
}
