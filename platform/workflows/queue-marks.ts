import { randomUUID } from 'node:crypto';
import type { StateStore, StateTransaction } from '../../kernel/state/index.ts';
import { SYSTEM_CLOCK, type WorkflowClock } from './workflow-type.ts';

/** How often a running process records how far its queues are written. */
export const MARK_EVERY_MS = 10_000;
/**
 * A transition's events are queued shortly after its commit (once its receipts are read): a mark lies this far behind
 * the flush it follows, so a transition committed before the flush but queued after it is still metered again (a
 * decision is queued before the receipt citing it is appended, so it is covered). A commit and receipt read slower
 * than this can be passed by a mark.
 */
const QUEUE_LAG_MS = 60_000;
/** On a shared state store, a process whose mark is this old is taken for dead: its queues are recovered. */
export const DEAD_AFTER_MS = 6 * MARK_EVERY_MS;
/** How long a mark waits for the queue to be written; past it, the mark records only that the process is alive. */
const FLUSH_WAIT_MS = 5_000;

export interface QueueMarksDeps {
  state: StateStore;
  /** The clock transitions are dated by: what `written_through` is compared with. */
  clock: WorkflowClock;
  /** The wall clock a mark's `seen_at` is read by, which other processes judge liveness with (default: the system's). */
  liveness?: WorkflowClock;
  /** The clock receipts are dated by (`ledger_entries.appended_at`): what `decisions_through` is compared with (default: the system's). */
  receipts?: WorkflowClock;
  /** Writes what is queued (events and decisions): true once everything queued before the call is stored, false when a write failed. */
  written(): Promise<boolean>;
  /** How many events and decisions this process has queued so far. */
  queued(): number;
  log: { error(fields: object, message: string): void };
}

type MarkRow = { process_id: string; written_through: Date; decisions_through: Date; seen_at: Date };

/** How far a process's queues are written: everything it queued for what it committed before these times is stored. */
export interface WrittenThrough {
  /** Metering events of workflow transitions, by the time transitions are dated (the workflow clock). */
  transitions: Date;
  /** Decisions, by the time the receipts citing them were appended (the receipts' clock). */
  decisions: Date;
}

/**
 * What a kill loses of a process's queues (workflow metering events, decisions) is found again from the marks: each
 * running process records, every `MARK_EVERY_MS`, that what it queued for what it committed before a time is written.
 * Another process takes over a dead process's mark (`claimDead`), meters its transitions again and restores the
 * decisions its receipts cite from it, however long after the kill. Where one process holds the state (`soleWriter`)
 * every other mark is a dead process's; on a shared store, those not refreshed for `DEAD_AFTER_MS` are.
 */
export class QueueMarks {
  readonly process = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Everything this process queued for what it committed before these is written (at first: nothing it queued yet). */
  private through: WrittenThrough;
  /** `queued()` at the last mark that found the queue written; undefined before the first. */
  private queuedAtMark: number | undefined;
  /** Spans taken over from dead processes and not yet recovered (`claimDead` … `release`): the mark stays before them. */
  private holds = 0;
  /** Marks and claims take turns: each writes this process's row from what the other left. */
  private turn: Promise<unknown> = Promise.resolve();
  private readonly liveness: WorkflowClock;
  private readonly receipts: WorkflowClock;

  constructor(private readonly deps: QueueMarksDeps) {
    this.liveness = deps.liveness ?? SYSTEM_CLOCK;
    this.receipts = deps.receipts ?? SYSTEM_CLOCK;
    this.through = this.lagging(deps.clock.now(), this.receipts.now());
  }

  /** Whether other processes share the state store (PostgreSQL): their marks can die while this process runs. */
  get shared(): boolean {
    return !this.deps.state.soleWriter;
  }

  /**
   * Marks now and then every `MARK_EVERY_MS` until `stop`; resolves once the first mark is recorded (or its failure
   * logged). Await it before anything is queued: a process killed before its first mark would leave nothing that names
   * its queue but the start's fixed lookback.
   */
  start(): Promise<void> {
    const next = (): Promise<void> => this.mark().finally(() => {
      if (!this.closed) this.timer = setTimeout(() => void next(), MARK_EVERY_MS).unref();
    });
    return next();
  }

  /** Records now how far this process's queue is written (what `start` does every `MARK_EVERY_MS`). */
  mark(): Promise<void> {
    return this.inTurn(async () => {
      const queued = this.deps.queued();
      // Where one process holds the state, its mark only says how far its queue is written: an idle process does not
      // write the same mark again (each write would be a change for continuous backup to ship).
      if (this.deps.state.soleWriter && queued === this.queuedAtMark && this.holds === 0) return;
      const flushedFrom = this.lagging(this.deps.clock.now(), this.receipts.now());
      const holding = this.holds > 0;
      let timeout: NodeJS.Timeout | undefined;
      const written = await Promise.race([
        this.deps.written().catch(() => false),
        new Promise<boolean>((resolve) => { timeout = setTimeout(() => resolve(false), FLUSH_WAIT_MS); }),
      ]).finally(() => clearTimeout(timeout));
      // A span taken over is redone into the queues: only a flush begun after that is done covers it.
      const advance = written && !holding && this.holds === 0;
      if (advance) this.through = flushedFrom;
      const recorded = await this.deps.state.transaction((tx) => this.writeOwn(tx, this.through))
        .then(() => true, (error: unknown) => {
          this.deps.log.error({ err: error }, 'could not record how far this process\'s queues are written');
          return false;
        });
      // Marked again at the next turn unless the queue was written and nothing came since.
      this.queuedAtMark = recorded && advance ? queued : undefined;
    });
  }

  /**
   * Takes over the marks of dead processes, in one transaction: removes them and lowers this process's own mark to the
   * oldest, so a kill of this process before their queues are recovered leaves that span to the next start. Answers the
   * oldest of each queue (undefined when there was none, or another process took them first); the caller recovers from
   * them and then calls `release`. Until then this process's mark does not move past them. Dead is judged by the wall clock.
   */
  claimDead(): Promise<WrittenThrough | undefined> {
    return this.inTurn(async () => {
      let claimed: WrittenThrough | undefined;
      let held = false;
      const hold = (oldest: WrittenThrough) => {
        this.through = earliest([oldest, this.through])!;
        if (!held) this.holds++;
        held = true;
        return oldest;
      };
      try {
        return await this.deps.state.transaction(async (tx) => {
          claimed = undefined;
          const rows = await tx.query<MarkRow>(
            'SELECT process_id, written_through, decisions_through, seen_at FROM queue_marks WHERE process_id <> ? ORDER BY process_id', [this.process],
          );
          const deadBefore = this.liveness.now().getTime() - DEAD_AFTER_MS;
          const taken: WrittenThrough[] = [];
          for (const row of rows) {
            if (!this.deps.state.soleWriter && new Date(row.seen_at).getTime() >= deadBefore) continue;
            // Compared on seen_at: a process that was only paused and has marked since keeps its new mark.
            if (await tx.delete('queue_marks', { process_id: row.process_id, seen_at: new Date(row.seen_at) }) === 0) continue;
            taken.push({ transitions: new Date(row.written_through), decisions: new Date(row.decisions_through) });
          }
          claimed = earliest(taken);
          if (!claimed) return undefined;
          await this.writeOwn(tx, earliest([claimed, this.through])!);
          tx.afterCommit(() => void hold(claimed!));
          return claimed;
        });
      } catch (error) {
        // A commit that failed after deleting may still have committed: held as if taken (metering twice is dedupe's).
        if (claimed) return hold(claimed);
        throw error;
      }
    });
  }

  /** A span `claimDead` answered is recovered (its events and decisions queued): the mark may move on once they are written. */
  release(): void {
    this.holds = Math.max(0, this.holds - 1);
    this.queuedAtMark = undefined;
  }

  /** Stops marking (waiting for a mark under way): before the queue is closed, so that no mark writes after it. */
  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.inTurn(() => Promise.resolve());
  }

  /** Stops marking and removes this process's mark when its queue was written (`queueWritten`) and no span is held; otherwise the mark stays for the next start. */
  async close(queueWritten: boolean): Promise<void> {
    await this.stop();
    if (!queueWritten || this.holds > 0) return;
    await this.deps.state.transaction((tx) => tx.delete('queue_marks', { process_id: this.process }))
      .catch((error: unknown) => this.deps.log.error({ err: error }, 'could not remove this process\'s queue mark; the next start recovers its last minutes again'));
  }

  /** Where a mark stands for a flush begun at these times: `QUEUE_LAG_MS` before. */
  private lagging(transitions: Date, decisions: Date): WrittenThrough {
    return { transitions: new Date(transitions.getTime() - QUEUE_LAG_MS), decisions: new Date(decisions.getTime() - QUEUE_LAG_MS) };
  }

  private async writeOwn(tx: StateTransaction, through: WrittenThrough): Promise<void> {
    const changes = { written_through: through.transitions, decisions_through: through.decisions, seen_at: this.liveness.now() };
    if (await tx.compareAndSet('queue_marks', { process_id: this.process }, {}, changes)) return;
    // The first mark, or a new one after another process took this (paused) one for dead and removed its mark.
    await tx.insert('queue_marks', [{ process_id: this.process, ...changes }]);
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }
}

/** The earliest of each queue's mark among `marks` (undefined when there are none). */
function earliest(marks: readonly WrittenThrough[]): WrittenThrough | undefined {
  if (marks.length === 0) return undefined;
  const min = (pick: (mark: WrittenThrough) => Date) => new Date(Math.min(...marks.map((mark) => pick(mark).getTime())));
  return { transitions: min((mark) => mark.transitions), decisions: min((mark) => mark.decisions) };
}
