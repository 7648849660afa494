import { BufferedWriter } from '../../kernel/warehouse/index.ts';

/**
 * Events the platform derives from what it has committed (a workflow run's transitions), written
 * off the request path in one ingest per batch window (`capabilities.batchWindowMs`) instead of one
 * per request: on ClickHouse each ingest is two inserts, each a part its merges rewrite. A kill
 * loses the batch in memory; the source emits them again at start (their ids derive from what was
 * committed, so ingest's dedupe drops those already stored). Readers of events flush first.
 */
export class BatchedEmitter<T extends object> {
  private readonly writer: BufferedWriter<T>;
  private count = 0;

  constructor(
    send: (events: T[]) => Promise<void>,
    onError: (error: unknown, pending: number) => void,
    windowMs: number,
  ) {
    this.writer = new BufferedWriter(send, onError, { flushAfterMs: windowMs, maxBatch: 1000 });
  }

  /** Queues the events for the next batch; never waits for the warehouse. */
  push(events: readonly T[]): void {
    for (const event of events) this.writer.push(event);
    this.count += events.length;
  }

  /** How many events were pushed since it was made. */
  get pushed(): number {
    return this.count;
  }

  /** Resolves when every event pushed so far is stored (or has failed and is kept for the retry). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Writes what is queued: true once every event pushed before the call is stored, false when that write failed (kept for the retry). */
  written(): Promise<boolean> {
    return this.writer.written();
  }

  /** Writes what is queued and stops: true when every event was stored, false when a failed write kept some (lost with the process). */
  close(): Promise<boolean> {
    return this.writer.close();
  }
}
