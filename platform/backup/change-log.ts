import type { ParquetRowNumbers } from '../../kernel/warehouse/index.ts';
import type { EncodedValue } from './change-values.ts';

/** One step of a state transaction, as the transaction made it. */
export type StateStep =
  | { op: 'insert' | 'insertNew'; table: string; rows: Record<string, EncodedValue>[] }
  | { op: 'compareAndSet'; table: string; where: Record<string, EncodedValue>; expected: Record<string, EncodedValue>; changes: Record<string, EncodedValue> }
  | { op: 'delete'; table: string; where: Record<string, EncodedValue>; rows: number };

/**
 * A committed write of the platform's own data, in a form a restore replays: warehouse rows
 * appended (`insert`; `csv` and `parquet` name local copies of the files loaded), rows deleted, or a state
 * transaction's steps in order. Models are not here: a restore rebuilds them.
 */
export type Change =
  | { op: 'insert'; table: string; columns: string[]; rows: EncodedValue[][] }
  | { op: 'csv'; table: string; columns: string[]; file: string }
  | { op: 'parquet'; table: string; columns: string[]; files: string[]; keep?: string; numberRows?: ParquetRowNumbers }
  | { op: 'delete'; table: string; condition: string; params: EncodedValue[] }
  | { op: 'state'; steps: StateStep[] };

export interface LoggedChange {
  /** Position in this process's log: 1, 2, … in commit order. */
  seq: number;
  /** When the write was acknowledged (ms since the epoch): what `restore --to-time` compares. */
  at: number;
  change: Change;
}

interface Hold {
  released: Promise<void>;
  release(): void;
}

/**
 * The platform's writes in the order they committed, kept until shipped. Every write of
 * data passes `write`, which records what it committed once it has (a failed write records
 * nothing). `quiesce` holds new writes and waits for those under way, so a snapshot begun
 * inside it holds exactly the changes up to a known position and none after.
 */
export class ChangeLog {
  private pending: LoggedChange[] = [];
  private last = 0;
  private lastAt: number | undefined;
  private underWay = 0;
  private hold: Hold | undefined;
  private drained: (() => void) | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** The position of the last change recorded. */
  get position(): number {
    return this.last;
  }

  /** When the oldest change still waiting to be shipped was acknowledged (ms); undefined when none waits. */
  get oldestPendingAt(): number | undefined {
    return this.pending[0]?.at;
  }

  /** When the newest change was acknowledged (ms), shipped or not; undefined before the first. */
  get lastAcknowledgedAt(): number | undefined {
    return this.lastAt;
  }

  /** How many changes wait to be shipped. */
  get backlog(): number {
    return this.pending.length;
  }

  /** Runs a write; `describe` turns its result into the change to record (undefined: it changed nothing). */
  async write<T>(run: () => Promise<T>, describe: (result: T) => Change | undefined): Promise<T> {
    while (this.hold) await this.hold.released;
    this.underWay++;
    try {
      const result = await run();
      const change = describe(result);
      if (change) {
        this.lastAt = this.now();
        this.pending.push({ seq: ++this.last, at: this.lastAt, change });
      }
      return result;
    } finally {
      if (--this.underWay === 0) this.drained?.();
    }
  }

  /**
   * Runs `begin` while no write is under way and none may start, handing it the position of
   * the last change committed. Undefined, with `begin` not run, when the writes under way do
   * not finish within `timeoutMs` (the caller tries again later).
   */
  async quiesce<T>(begin: (position: number) => Promise<T>, timeoutMs: number): Promise<T | undefined> {
    while (this.hold) await this.hold.released;
    let release!: () => void;
    const hold: Hold = { released: new Promise<void>((resolve) => (release = resolve)), release: () => release() };
    this.hold = hold;
    try {
      if (this.underWay > 0) {
        const quiet = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          this.drained = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        const settled = await quiet;
        this.drained = undefined;
        if (!settled) return undefined;
      }
      return await begin(this.last);
    } finally {
      this.hold = undefined;
      hold.release();
    }
  }

  /** The changes recorded since the last take, oldest first; they are the caller's to ship (or `putBack`). */
  take(): LoggedChange[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** Changes a failed shipment took, back in front of any recorded since. */
  putBack(changes: readonly LoggedChange[]): void {
    this.pending = [...changes, ...this.pending];
  }

  /** Forgets the changes up to `position`: a snapshot taken there holds them. */
  discardThrough(position: number): LoggedChange[] {
    const discarded = this.pending.filter((logged) => logged.seq <= position);
    this.pending = this.pending.filter((logged) => logged.seq > position);
    return discarded;
  }
}
