import { stat } from 'node:fs/promises';

/** How often the WAL's size is looked at. */
const WATCH_EVERY_MS = 1000;
/** The WAL size past which the adapter checkpoints (`WalWatch`). */
export const WAL_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/**
 * Asks for a checkpoint when a database's write-ahead log has grown past `thresholdBytes`, whoever wrote it.
 *
 * The warehouse counts the rows it appends and checkpoints after so many; the state store's transactions in the same file
 * grow the WAL unseen by that count — at 500 gated writes a second, 1.35 MB/s, to DuckDB's own threshold (the 512 MB
 * backstop) in six minutes. DuckDB then checkpointed inside whichever commit crossed it, and every query of the
 * process waited on it: 1.26 s (`npm run bench:api-flows -- --seconds 420 --tenants 15`). Looking at the file's size once
 * a second costs one `stat`; the checkpoint it asks for is queued like the one after the appends, off the event loop.
 */
export class WalWatch {
  private timer?: NodeJS.Timeout;
  private looking = false;

  constructor(
    private readonly walPath: string,
    private readonly thresholdBytes: number,
    private readonly overThreshold: () => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.look(), WATCH_EVERY_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async look(): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      // No WAL file (nothing written since the last checkpoint) is no growth.
      const size = await stat(this.walPath).then((found) => found.size, () => 0);
      if (size >= this.thresholdBytes && this.timer) this.overThreshold();
    } finally {
      this.looking = false;
    }
  }
}
