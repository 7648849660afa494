/**
 * The storage format of the DuckDB files the platform creates (the warehouse, `state.duckdb`). DuckDB's own default
 * is still v1.0's, readable by v0.10 and later; from v1.3 its string compression is cheaper to write, and a
 * million-row bill's insert into `bill_rows` took 2.3–3.0 s in the old format against 2.0–2.5 s in this one
 * (`npm run bench:finops`). DuckDB 1.4 (its long-term release) and later read these files. A file keeps the format it
 * was created in: a warehouse created before keeps the old one until it is restored from a backup.
 */
export const DUCKDB_STORAGE_VERSION = 'v1.4.0';
