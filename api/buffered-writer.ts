/**
 * Rows written in batches, off the request path: flushed when `maxBatch`
 * accumulate or `flushAfterMs` after the first. A failed write keeps its rows
 * for the next try (a second later), reported to `onError`: nothing is dropped
 * because the warehouse blinked. Readers call `flush` first to see everything.
 */
export class BufferedWriter<T> {
  private buffer: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

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
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(async () => {
      if (items.length === 0) return;
      try {
        await this.write(items);
      } catch (error) {
        this.buffer.unshift(...items);
        this.onError(error, this.buffer.length);
        this.timer ??= setTimeout(() => void this.flush(), 1000);
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
