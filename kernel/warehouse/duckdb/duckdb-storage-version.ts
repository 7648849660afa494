import { WarehouseError } from '../errors.ts';

/**
 * The storage format of the DuckDB files the platform creates (the warehouse, `state.duckdb`, a restore's file). DuckDB's
 * own default is still v1.0's, readable by v0.10 and later; from v1.3 its string compression (DICT_FSST) is cheaper to
 * write, and a million-row bill's insert into `bill_rows` took 2.3–3.0 s in the old format against 2.0–2.5 s in this
 * one (`npm run bench:finops`). DuckDB 1.4 (its long-term release) and later read these files. A file keeps the format
 * it was created in: a warehouse created before keeps the old one until it is restored from a backup.
 */
export const DUCKDB_STORAGE_VERSION = 'v1.4.0';

/**
 * The format new DuckDB files are created in: `COMPANYOS_DUCKDB_STORAGE_VERSION` (v1.0.0 keeps them readable by DuckDB
 * 0.10–1.3, and stores text as it was, which a byte search of the files can see) or `DUCKDB_STORAGE_VERSION`. Read
 * where each file is opened — the warehouse, the state store, a restore, a tool's scratch database — rather than passed
 * down from the platform's configuration to each of those; `loadConfig` checks it at start.
 */
export function duckdbStorageVersion(env: NodeJS.ProcessEnv = process.env): string {
  const asked = env.COMPANYOS_DUCKDB_STORAGE_VERSION?.trim();
  if (!asked) return DUCKDB_STORAGE_VERSION;
  if (!/^v\d+\.\d+\.\d+$/.test(asked)) {
    throw new WarehouseError(`COMPANYOS_DUCKDB_STORAGE_VERSION must be a DuckDB storage version such as v1.0.0 or ${DUCKDB_STORAGE_VERSION}; got "${asked}"`);
  }
  return asked;
}

/** DuckDB's refusal of a storage version it does not know ("Failed to set config"), said as what to change; undefined for other errors. */
export function unknownStorageVersion(version: string, error: unknown): WarehouseError | undefined {
  if (!/Failed to set config/i.test((error as Error).message)) return undefined;
  return new WarehouseError(
    `this DuckDB has no storage version "${version}" (COMPANYOS_DUCKDB_STORAGE_VERSION); name one such as v1.0.0 or ${DUCKDB_STORAGE_VERSION}`,
    { cause: error },
  );
}
