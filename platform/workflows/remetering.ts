import { setTimeout as sleep } from 'node:timers/promises';
import type { MeteringMarks } from './metering-marks.ts';
import type { WorkflowClock } from './workflow-type.ts';

/**
 * How far back a start always meters the workflows' transitions again, besides what dead processes' marks name: a
 * process killed and restarted before its mark looks dead (`DEAD_AFTER_MS`) is covered by it, as is a store written
 * by a release without marks. A fixed span, not one anchored on the newest stored event: any tenant may post events of
 * that type, and live replicas store theirs meanwhile.
 */
const REMETER_LOOKBACK_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
/** Re-metering stays this far inside the dedupe window, so a copy already stored is dropped, never stored twice. */
const DEDUPE_MARGIN_MS = 3_600_000;

export interface RemeteringOptions {
  workflows: {
    meterSince(since: Date, until: Date): Promise<number>;
    meters(since: Date, until: Date): Promise<boolean>;
  };
  marks: MeteringMarks;
  /** Writes what is queued: a dead process's mark is forgotten only once what was metered again from it is stored. */
  flush(): Promise<void>;
  clock: WorkflowClock;
  log: { error(fields: object, message: string): void; warn(fields: object, message: string): void };
  /** How long other live processes' queued events may still be unwritten (`liveBatchGuardMs`); 0 where one process writes. */
  guardMs: number;
  /** Ingest's dedupe window: a repeat older than it would be stored again. */
  dedupeWindowDays: number;
  /** Aborted when the platform closes: the wait for live processes' queues ends, and what they hold is theirs. */
  signal: AbortSignal;
}

export interface Remetering {
  /** The transitions metered again, once both passes are done. */
  metered: Promise<number>;
  /** Readers of events wait for it: the first pass, and the last seconds' pass when those seconds held anything to meter. */
  readable: Promise<void>;
}

/**
 * What a kill took from a process's queue comes back at the next start: the transitions committed since the oldest
 * mark of a dead process (and at least those of the last `REMETER_LOOKBACK_MS`) are metered again, and ingest's
 * dedupe drops the events already stored. Where other processes write the same warehouse, the last seconds'
 * transitions may still be in a live one's queue: they are metered once it must have written them (`guardMs`), or
 * both copies would be stored until ClickHouse merges them.
 */
export function remeterAfterStart(options: RemeteringOptions): Remetering {
  const { workflows, marks, clock, log, guardMs } = options;
  const startedAt = clock.now();
  const settled = new Date(startedAt.getTime() - guardMs);
  const failed = (error: unknown) => {
    log.error({ err: error }, 'could not meter again the workflow transitions of the minutes before this start');
    return 0;
  };
  const first = (async () => {
    const dead = await marks.dead(startedAt);
    const since = remeterFrom(startedAt, dead[0]?.writtenThrough, options.dedupeWindowDays);
    if (dead[0] && since > dead[0].writtenThrough) {
      log.warn({ since: dead[0].writtenThrough, dedupeWindowDays: options.dedupeWindowDays },
        'a process stopped without writing its queue longer ago than the dedupe window: its workflow events before the window are not metered again');
    }
    const metered = await workflows.meterSince(since, settled);
    if (dead.length > 0) {
      await options.flush();
      await marks.forget(dead);
    }
    return metered;
  })().catch(failed);
  // The last seconds are always looked at once live processes must have written their queues (a transition committing
  // late is dated inside them); readers wait for that only when those seconds held transitions at the start.
  const heldRecent = guardMs > 0 ? workflows.meters(settled, startedAt).catch(() => true) : Promise.resolve(false);
  const last = (async () => {
    await first;
    if (guardMs === 0) return 0;
    const waited = await sleep(Math.max(0, startedAt.getTime() + guardMs - clock.now().getTime()), true, { signal: options.signal }).catch(() => false);
    return waited ? workflows.meterSince(settled, startedAt) : 0;
  })().catch(failed);
  return {
    metered: Promise.all([first, last]).then(([earlier, recent]) => earlier + recent),
    readable: (async () => {
      await first;
      if (await heldRecent) await last;
    })(),
  };
}

/** The earlier of the fixed lookback and a dead process's mark, never further back than the dedupe window holds. */
export function remeterFrom(startedAt: Date, deadMark: Date | undefined, dedupeWindowDays: number): Date {
  const lookback = startedAt.getTime() - REMETER_LOOKBACK_MS;
  const floor = startedAt.getTime() - dedupeWindowDays * DAY_MS + DEDUPE_MARGIN_MS;
  return new Date(Math.max(Math.min(lookback, deadMark?.getTime() ?? lookback), Math.min(floor, lookback)));
}
