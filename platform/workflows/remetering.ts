import { setTimeout as sleep } from 'node:timers/promises';
import { MARK_EVERY_MS, type MeteringMarks } from './metering-marks.ts';
import type { WorkflowClock } from './workflow-type.ts';

/**
 * How far back a start always meters the workflows' transitions again, whatever the marks say: a store written by a
 * release without marks, and a mark a kill left that does not look dead yet (a replica restarted within a minute:
 * its mark is taken over by the sweep once it does). Readers of events wait for this span, not for older ones.
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
  clock: WorkflowClock;
  log: { error(fields: object, message: string): void; warn(fields: object, message: string): void };
  /** How long other live processes' queued events may still be unwritten (`liveBatchGuardMs`); 0 where one process writes. */
  guardMs: number;
  /** Ingest's dedupe window: a repeat older than it would be stored again. */
  dedupeWindowDays: number;
  /** Aborted when the platform closes: the waits end, and what live processes hold is theirs to write. */
  signal: AbortSignal;
  /** How often live processes look for dead processes' marks on a shared store (default `MARK_EVERY_MS`). */
  sweepEveryMs?: number;
}

export interface Remetering {
  /** The transitions the start metered again, once its passes are done. */
  metered: Promise<number>;
  /** Readers of events wait for it: the last minutes, and the last seconds' pass when those seconds held anything to meter. */
  readable: Promise<void>;
  /** Resolves once `signal` has aborted and the sweep of dead processes' marks under way, if any, is done. */
  stopped: Promise<void>;
}

/**
 * What a kill took from a process's queue comes back: at the start, the transitions of the last `REMETER_LOOKBACK_MS`
 * and, in the background, those since the oldest mark of a dead process (`MeteringMarks.claimDead`) are metered
 * again, and ingest's dedupe drops the events already stored. Where other processes share the state, live ones look
 * for dead processes' marks every `MARK_EVERY_MS` too, so a replica killed and never restarted is metered again
 * without waiting for a start. Where other processes write the same warehouse, the last seconds' transitions may
 * still be in a live one's queue: they are metered once it must have written them (`guardMs`), or both copies would
 * be stored until ClickHouse merges them.
 */
export function remeterAfterStart(options: RemeteringOptions): Remetering {
  const { workflows, marks, clock, log, guardMs, signal } = options;
  const startedAt = clock.now();
  const settled = new Date(startedAt.getTime() - guardMs);
  const lookback = new Date(Math.max(0, startedAt.getTime() - REMETER_LOOKBACK_MS));
  const failed = (error: unknown) => {
    log.error({ err: error }, 'could not meter again the workflow transitions of the minutes before this start');
    return 0;
  };
  const recent = workflows.meterSince(lookback, settled).catch(failed);
  const older = (async () => {
    const claimed = await claim(options, startedAt);
    if (!claimed) return 0;
    const since = fromMark(options, startedAt, claimed);
    const metered = since < lookback ? await workflows.meterSince(since, lookback) : 0;
    await recent;
    marks.release();
    return metered;
  })().catch(failed);
  // The last seconds are always looked at once live processes must have written their queues (a transition committing
  // late is dated inside them); readers wait for that only when those seconds held transitions at the start.
  const heldRecent = guardMs > 0 ? workflows.meters(settled, startedAt).catch(() => true) : Promise.resolve(false);
  const last = (async () => {
    await recent;
    if (guardMs === 0) return 0;
    const waited = await sleep(Math.max(0, startedAt.getTime() + guardMs - clock.now().getTime()), true, { signal }).catch(() => false);
    return waited ? workflows.meterSince(settled, startedAt) : 0;
  })().catch(failed);
  return {
    metered: Promise.all([recent, older, last]).then((counts) => counts.reduce((a, b) => a + b, 0)),
    readable: (async () => {
      await recent;
      if (await heldRecent) await last;
    })(),
    stopped: marks.shared ? sweepDeadMarks(options, older) : Promise.resolve(),
  };
}

/** Every `MARK_EVERY_MS` after the start's own pass, until `signal` aborts: dead processes' marks taken over and metered again. */
async function sweepDeadMarks(options: RemeteringOptions, started: Promise<unknown>): Promise<void> {
  const { workflows, marks, clock, log, guardMs, signal } = options;
  await started;
  while (await sleep(options.sweepEveryMs ?? MARK_EVERY_MS, true, { signal, ref: false }).catch(() => false)) {
    const now = clock.now();
    const claimed = await claim(options, now);
    if (!claimed) continue;
    try {
      const metered = await workflows.meterSince(fromMark(options, now, claimed), new Date(now.getTime() - guardMs));
      marks.release();
      log.warn({ metered, since: claimed }, 'a platform process stopped without writing its queue: its workflow transitions were metered again');
    } catch (error) {
      // Not released: this process's own mark stays before the span, so a start after its end meters it again.
      log.error({ err: error }, 'could not meter again the workflow transitions of a stopped platform process');
    }
  }
}

function claim({ marks, log }: RemeteringOptions, now: Date): Promise<Date | undefined> {
  return marks.claimDead(now).catch((error: unknown) => {
    log.error({ err: error }, 'could not look for the metering marks of stopped platform processes');
    return undefined;
  });
}

/** A dead process's mark, or the oldest time inside the dedupe window when the mark is older (with a warning). */
function fromMark({ log, dedupeWindowDays }: RemeteringOptions, now: Date, mark: Date): Date {
  const since = remeterFrom(now, mark, dedupeWindowDays);
  if (since > mark) {
    log.warn({ since: mark, dedupeWindowDays },
      'a process stopped without writing its queue longer ago than the dedupe window: its workflow events before the window are not metered again');
  }
  return since;
}

/** A dead process's mark, never further back than an hour inside the dedupe window, where a copy already stored is still found. */
export function remeterFrom(now: Date, deadMark: Date, dedupeWindowDays: number): Date {
  return new Date(Math.max(deadMark.getTime(), now.getTime() - dedupeWindowDays * DAY_MS + DEDUPE_MARGIN_MS));
}
