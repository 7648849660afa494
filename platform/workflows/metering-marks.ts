import { randomUUID } from 'node:crypto';
import type { StateStore } from '../../kernel/state/index.ts';
import type { WorkflowClock } from './workflow-type.ts';

/** How often a running process records how far its queued metering is written. */
export const MARK_EVERY_MS = 10_000;
/**
 * A transition's events are queued shortly after its commit (once its receipts are read): a mark lies this far behind
 * the flush it follows, so a transition committed before the flush but queued after it is still metered again.
 */
const QUEUE_LAG_MS = 60_000;
/** On a shared state store, a process whose mark is this old is taken for dead: its queue is metered again. */
export const DEAD_AFTER_MS = 6 * MARK_EVERY_MS;
/** How long a mark waits for the queue to be written; past it, the mark records only that the process is alive. */
const FLUSH_WAIT_MS = 5_000;

export interface MeteringMarksDeps {
  state: StateStore;
  clock: WorkflowClock;
  /** Resolves once every event queued so far is written. */
  flush(): Promise<void>;
  /** How many events this process has queued so far. */
  queued(): number;
  log: { error(fields: object, message: string): void };
}

/** A dead process's mark: its queued events of transitions committed at or after `writtenThrough` may be lost. */
export interface DeadMark {
  process: string;
  writtenThrough: Date;
  seenAt: Date;
}

/**
 * What a kill loses of the queued metering events is found again from the marks: each running process records, every
 * `MARK_EVERY_MS`, that the events of the transitions it committed before a time are written. A start meters again
 * from the oldest mark of a dead process, however long after the kill it comes. Where one process holds the state
 * (`soleWriter`) every other mark is a dead process's; on a shared store, those older than `DEAD_AFTER_MS` are.
 */
export class MeteringMarks {
  readonly process = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private marking: Promise<void> = Promise.resolve();
  private closed = false;
  /** Every event of a transition this process committed before it is written (at first: nothing it queued yet). */
  private writtenThrough: Date;
  /** `queued()` at the last mark recorded; undefined before the first. */
  private queuedAtMark: number | undefined;

  constructor(private readonly deps: MeteringMarksDeps) {
    this.writtenThrough = new Date(deps.clock.now().getTime() - QUEUE_LAG_MS);
  }

  /** The marks of dead processes, oldest first. */
  async dead(startedAt: Date): Promise<DeadMark[]> {
    const rows = await this.deps.state.query<{ process_id: string; written_through: Date; seen_at: Date }>(
      'SELECT process_id, written_through, seen_at FROM metering_marks WHERE process_id <> ? ORDER BY written_through', [this.process],
    );
    const deadBefore = startedAt.getTime() - DEAD_AFTER_MS;
    return rows
      .map((row) => ({ process: String(row.process_id), writtenThrough: new Date(row.written_through), seenAt: new Date(row.seen_at) }))
      .filter((mark) => this.deps.state.soleWriter || mark.seenAt.getTime() < deadBefore);
  }

  /** Removes marks whose queues were metered again; a process that was only paused and has marked since keeps its new mark. */
  async forget(marks: readonly DeadMark[]): Promise<void> {
    if (marks.length === 0) return;
    await this.deps.state.transaction(async (tx) => {
      for (const mark of marks) await tx.delete('metering_marks', { process_id: mark.process, seen_at: mark.seenAt });
    });
  }

  /**
   * Marks now and then every `MARK_EVERY_MS` until `close`; resolves once the first mark is recorded. Await it before
   * anything is queued: a process killed before its first mark would leave nothing that names its queue.
   */
  start(): Promise<void> {
    const next = () => {
      this.marking = this.mark().finally(() => {
        if (!this.closed) this.timer = setTimeout(next, MARK_EVERY_MS).unref();
      });
      return this.marking;
    };
    return next();
  }

  /** Stops marking and removes this process's mark: the caller has written its queue. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.marking;
    await this.deps.state.transaction((tx) => tx.delete('metering_marks', { process_id: this.process }))
      .catch((error: unknown) => this.deps.log.error({ err: error }, 'could not remove this process\'s metering mark; the next start meters its last minutes again'));
  }

  /** Records now how far this process's queue is written (what `start` does every `MARK_EVERY_MS`). */
  async mark(): Promise<void> {
    const queued = this.deps.queued();
    // Where one process holds the state, its mark only says how far its queue is written: an idle process does not
    // write the same mark again (each write would be a change for continuous backup to ship).
    if (this.deps.state.soleWriter && queued === this.queuedAtMark) return;
    const flushedFrom = this.deps.clock.now();
    let timeout: NodeJS.Timeout | undefined;
    const written = await Promise.race([
      this.deps.flush().then(() => true, () => false),
      new Promise<boolean>((resolve) => { timeout = setTimeout(() => resolve(false), FLUSH_WAIT_MS); }),
    ]).finally(() => clearTimeout(timeout));
    if (written) this.writtenThrough = new Date(flushedFrom.getTime() - QUEUE_LAG_MS);
    const changes = { written_through: this.writtenThrough, seen_at: this.deps.clock.now() };
    await this.deps.state.transaction(async (tx) => {
      if (await tx.compareAndSet('metering_marks', { process_id: this.process }, {}, changes)) return;
      // The first mark, or a new one after a start took this (paused) process for dead and removed its mark.
      await tx.insert('metering_marks', [{ process_id: this.process, ...changes }]);
    }).then(
      // Marked again at the next turn unless the queue was written and nothing came since.
      () => { this.queuedAtMark = written ? queued : undefined; },
      (error: unknown) => this.deps.log.error({ err: error }, 'could not record how far this process\'s metering is written'),
    );
  }
}
