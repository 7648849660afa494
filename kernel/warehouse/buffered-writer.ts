/**
 * Rows written in batches, off the request path: flushed when `maxBatch`
 * accumulate or `flushAfterMs` after the first. A failed write keeps its rows
 * for the next try (a second later), reported to `onError`: nothing is dropped
 * because the warehouse blinked. Readers call `flush` first to see everything.
 *
 * Writes never overlap: what is pushed while one is in flight goes out as one
 * batch when it ends, so callers that flush share commits instead of queueing
 * one write each.
 */
export class BufferedWriter<T> {
  private buffer: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  /** The batch that takes the buffer once the write in flight ends; resolves to its error, if it failed. */
  private next: Promise<unknown> | undefined;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly onError: (error: unknown, pending: number) => void,
    private readonly options: { flushAfterMs: number; maxBatch: number },
  ) {}

  push(item: T): void {
    this.buffer.push(item);
    if (this.buffer.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushAfterMs);
  }

  /** Resolves when everything pushed so far has been written (or has failed and is kept for the retry). */
  async flush(): Promise<void> {
    await this.scheduleBatch();
  }

  /**
   * Writes what is pushed: true once everything pushed before the call is written, false when that write failed (the
   * items are kept for the retry). The batch that takes the buffer holds whatever an earlier failed write put back.
   */
  async written(): Promise<boolean> {
    return (await this.scheduleBatch()) === undefined;
  }

  /** Writes what is pushed and stops the timers: true when everything was written, false when kept after a failed write. */
  async close(): Promise<boolean> {
    const written = await this.written();
    clearTimeout(this.timer);
    this.timer = undefined;
    return written;
  }

  private scheduleBatch(): Promise<unknown> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.next ??= this.writing.then(() => {
      this.next = undefined;
      const items = this.buffer;
      this.buffer = [];
      return this.writeBatch(items);
    });
    this.writing = this.next;
    return this.next;
  }

  private async writeBatch(items: T[]): Promise<unknown> {
    if (items.length === 0) return undefined;
    try {
      await this.write(items);
      return undefined;
    } catch (error) {
      this.buffer.unshift(...items);
      this.onError(error, this.buffer.length);
      this.timer ??= setTimeout(() => void this.flush(), 1000);
      return error ?? new Error('write failed');
    }
  }
}
