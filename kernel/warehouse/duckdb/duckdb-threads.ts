import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * DuckDB's threads while nothing scans. With more, DuckDB hands even a one-row insert's pipeline
 * to a background thread and the asking thread waits for it: the API's operational writes (the
 * state store shares this database) cost two to three times the CPU — BEGIN, a one-row insert
 * and COMMIT took 0.76 ms of CPU with one thread and 1.64 ms with two on 2 cores — and at 500
 * requests/s that doubled the gated writes' p95. Scans (`query`, builds, CSV loads) ask for every
 * core while they run (`DuckDBThreads.allCores`).
 */
export const SERVING_THREADS = 1;
/** How long after the last scan DuckDB keeps every core. */
const SCANS_SETTLE_MS = 250;

/** How many threads one DuckDB instance runs: every core while a scan runs, the serving setting otherwise. */
export class DuckDBThreads {
  /** Scans running: while any does, DuckDB has every core. */
  private scans = 0;
  /** The `SET threads` statements, in the order asked. */
  private threadsSet: Promise<void> = Promise.resolve();
  /** DuckDB has every core. */
  private wide = false;
  private serveAgain?: NodeJS.Timeout;
  private closed = false;

  constructor(
    /** Where `SET threads` runs: never behind a long write or read. */
    private readonly settings: DuckDBConnection,
    /** DuckDB's threads for scans: its default, the machine's cores. */
    private readonly cores: number,
    /** DuckDB's threads while nothing scans. */
    private readonly servingThreads: number,
  ) {}

  /**
   * Runs `work` with every core DuckDB may use. The cores go back to the serving setting a moment after the
   * last scan ends: a build's models and checks follow one another, and changing DuckDB's threads costs a start.
   */
  async allCores<T>(work: () => Promise<T>): Promise<T> {
    if (this.cores <= this.servingThreads) return work();
    clearTimeout(this.serveAgain);
    if (this.scans++ === 0 && !this.wide) {
      this.wide = true;
      await this.setThreads(this.cores);
    } else await this.threadsSet;
    try {
      return await work();
    } finally {
      if (--this.scans === 0) {
        this.serveAgain = setTimeout(() => {
          if (this.scans > 0 || this.closed) return;
          this.wide = false;
          void this.setThreads(this.servingThreads);
        }, SCANS_SETTLE_MS);
        this.serveAgain.unref();
      }
    }
  }

  /** No more changes; the last one asked is done, and the settings connection closed. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.serveAgain);
    await this.threadsSet;
    this.settings.closeSync();
  }

  /** Queued behind the settings asked before, so the last one asked is the one in force. A failure only costs speed. */
  private setThreads(threads: number): Promise<void> {
    this.threadsSet = this.threadsSet.then(() => this.settings.run(`SET threads = ${threads}`)).then(() => undefined, () => undefined);
    return this.threadsSet;
  }
}
