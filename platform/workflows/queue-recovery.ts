import { setTimeout as sleep } from 'node:timers/promises';
import { liveBatchesWritten } from '../../kernel/warehouse/index.ts';
import { MARK_EVERY_MS, type QueueMarks, type WrittenThrough } from './queue-marks.ts';
import { SYSTEM_CLOCK, type WorkflowClock } from './workflow-type.ts';

/**
 * How far back a start always meters the workflows' transitions again, whatever the marks say: a store written by a
 * release without marks, and a mark a kill left that does not look dead yet (a replica restarted within a minute:
 * its mark is taken over by the sweep once it does). Readers of events wait for this span, not for older ones.
 */
const REMETER_LOOKBACK_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
/** Re-metering stays this far inside the dedupe window, so a copy already stored is dropped, never stored twice. */
const DEDUPE_MARGIN_MS = 3_600_000;
/** A long span is redone an hour at a time, each hour written before the next is read: the queue stays small. */
const SPAN_STEP_MS = 3_600_000;

export interface QueueRecoveryOptions {
  workflows: {
    meterSince(since: Date, until: Date, signal?: AbortSignal): Promise<number>;
    meters(since: Date, until: Date): Promise<boolean>;
  };
  marks: QueueMarks;
  /** Writes what is queued: true once the warehouse took every event queued before the call. */
  written(): Promise<boolean>;
  /** The decision log: a dead process's queued decisions are restored from the receipts that cite them. */
  decisions: {
    /** Restores each decision cited by a receipt appended in [`since`, `until`) that the log lacks; answers how many. */
    restoreBetween(since: Date, until: Date): Promise<number>;
    /** Writes what is queued: true once the warehouse took every decision queued before the call. */
    written(): Promise<boolean>;
  };
  clock: WorkflowClock;
  /** The clock receipts are dated by (default: the system's). */
  receipts?: WorkflowClock;
  log: { error(fields: object, message: string): void; warn(fields: object, message: string): void };
  /** How long other live processes' queued events may still be unwritten (`liveBatchGuardMs`); 0 where one process writes. */
  guardMs: number;
  /** Ingest's dedupe window: a repeat older than it would be stored again. */
  dedupeWindowDays: number;
  /** Aborted when the platform closes: the waits end, and what live processes hold is theirs to write. */
  signal: AbortSignal;
  /** How often spans are looked at again: dead processes' marks on a shared store, spans that failed (default `MARK_EVERY_MS`). */
  sweepEveryMs?: number;
}

export interface QueueRecovery {
  /** The transitions the start metered again, once its passes are done. */
  metered: Promise<number>;
  /** Readers of events wait for it: the last minutes, and the last seconds' pass when those seconds held anything to meter. */
  readable: Promise<void>;
  /** Resolves once `signal` has aborted and the sweep under way, if any, is done. */
  stopped: Promise<void>;
}

/** What a span recovers: a kind of queued work done again, and how to know it is written. */
interface Redo {
  what: string;
  again(since: Date, until: Date, signal: AbortSignal): Promise<number>;
  written(): Promise<boolean>;
}

interface Span {
  redo: Redo;
  since: Date;
  until: Date;
  /** What was redone before `since` is queued but not known to be written: confirmed before going on. */
  unconfirmed?: boolean;
}

/** Spans taken over from a dead process, or redone at a start, that failed: tried again at each sweep. */
interface Unfinished {
  spans: Span[];
  /** Whether it holds this process's mark (`QueueMarks.claimDead`): released once every span is redone. */
  held: boolean;
}

/**
 * What a kill took from a process's queues comes back: at the start, the transitions of the last `REMETER_LOOKBACK_MS`
 * and, in the background, those since the oldest mark of a dead process (`QueueMarks.claimDead`) are metered
 * again, and ingest's dedupe drops the events already stored; the decisions cited by the receipts appended since that
 * mark and missing from the decision log are restored from the receipts. Where other processes share the state, live ones look
 * for dead processes' marks every `MARK_EVERY_MS` too, so a replica killed and never restarted is metered again
 * without waiting for a start. A span that fails is tried again at each sweep, holding this process's mark before it
 * until it is done. Where other processes write the same warehouse, the last seconds' transitions may still be in a
 * live one's queue: they are metered once it must have written them (`guardMs`), or both copies would be stored until
 * ClickHouse merges them.
 */
export function recoverQueuesAfterStart(options: QueueRecoveryOptions): QueueRecovery {
  const { workflows, clock, guardMs, signal } = options;
  const startedAt = clock.now();
  const settled = new Date(startedAt.getTime() - guardMs);
  const lookback = new Date(Math.max(0, startedAt.getTime() - REMETER_LOOKBACK_MS));
  const unfinished: Unfinished[] = [];
  // Set when the start could not look for dead processes' marks: the sweep looks again, on any store.
  const claims = { retry: false };
  const { transitions } = redoing(options);
  const recent = pass(options, { redo: transitions, since: lookback, until: settled });
  // The last seconds are always looked at once live processes must have written their queues (a transition committing
  // late is dated inside them); readers wait for that only when those seconds held transitions at the start.
  const heldRecent = guardMs > 0 ? workflows.meters(settled, startedAt).catch(() => true) : Promise.resolve(false);
  const last = (async () => {
    await recent;
    if (guardMs === 0) return { metered: 0 };
    const waited = await liveBatchesWritten(startedAt.getTime(), guardMs, signal, clock.now().getTime());
    const span = { redo: transitions, since: settled, until: startedAt };
    return waited ? pass(options, span) : { metered: 0, failed: span };
  })();
  const older = (async () => {
    const claimed = await claim(options, claims);
    const since = claimed && fromMark(options, startedAt, claimed.transitions);
    const own = since && since < lookback ? await pass(options, { redo: transitions, since, until: lookback }, true) : { metered: 0 };
    const restored = claimed ? await restoreDecisions(options, claimed) : { metered: 0 };
    if (restored.metered > 0) options.log.warn({ restored: restored.metered, since: claimed?.decisions }, 'decisions a stopped process had queued were restored from the receipts that cite them');
    const failed = [own, restored, await recent, await last].flatMap((result) => (result.failed ? [result.failed] : []));
    // A span taken over stays held until every pass that covers part of it is done.
    if (failed.length > 0) unfinished.push({ spans: failed, held: claimed !== undefined });
    else if (claimed) options.marks.release();
    return own.metered;
  })();
  return {
    metered: Promise.all([recent, older, last]).then(([a, b, c]) => a.metered + b + c.metered),
    readable: (async () => {
      await recent;
      if (await heldRecent) await last;
    })(),
    stopped: sweep(options, unfinished, claims),
  };
}

/**
 * Every `sweepEveryMs` until `signal` aborts: spans that failed tried again, and, on a shared store (or after a start
 * could not look), dead processes' marks taken over and their queues recovered.
 */
async function sweep(options: QueueRecoveryOptions, unfinished: Unfinished[], claims: { retry: boolean }): Promise<void> {
  const { marks, clock, log, guardMs, signal } = options;
  while (await sleep(options.sweepEveryMs ?? MARK_EVERY_MS, true, { signal, ref: false }).catch(() => false)) {
    for (const entry of unfinished.splice(0)) {
      const results = [];
      for (const span of entry.spans) results.push(await pass(options, span, true));
      const failed = results.flatMap((result) => (result.failed ? [result.failed] : []));
      if (failed.length > 0) unfinished.push({ ...entry, spans: failed });
      else if (entry.held) marks.release();
    }
    if (signal.aborted || (!marks.shared && !claims.retry)) continue;
    const claimed = await claim(options, claims);
    if (!claimed) continue;
    const now = clock.now();
    const metered = await pass(options, { redo: redoing(options).transitions, since: fromMark(options, now, claimed.transitions), until: new Date(now.getTime() - guardMs) }, true);
    const restored = await restoreDecisions(options, claimed);
    const failed = [metered, restored].flatMap((result) => (result.failed ? [result.failed] : []));
    if (failed.length > 0) unfinished.push({ spans: failed, held: true });
    else marks.release();
    log.warn({ metered: metered.metered, restored: restored.metered, since: claimed, unfinished: failed.length > 0 },
      'took over the mark of a platform process that stopped without writing its queues: its workflow transitions metered again, the decisions its receipts cite and the log lacked restored');
  }
}

/** The kinds of queued work a span redoes. */
function redoing({ workflows, written, decisions }: QueueRecoveryOptions): { transitions: Redo; decisions: Redo } {
  return {
    transitions: { what: 'meter again the workflow transitions', again: (since, until, signal) => workflows.meterSince(since, until, signal), written },
    decisions: { what: 'restore the decisions cited by the receipts', again: (since, until) => decisions.restoreBetween(since, until), written: () => decisions.written() },
  };
}

/** The decisions a dead process's receipts cite since its mark, up to what live processes' queues may still hold. */
function restoreDecisions(options: QueueRecoveryOptions, claimed: WrittenThrough): Promise<{ metered: number; failed?: Span }> {
  const now = (options.receipts ?? SYSTEM_CLOCK).now();
  const until = new Date(now.getTime() - options.guardMs);
  if (claimed.decisions >= until) return Promise.resolve({ metered: 0 });
  return pass(options, { redo: redoing(options).decisions, since: claimed.decisions, until }, true);
}

/**
 * Meters a span again; `stepwise`, an hour at a time, each hour's events written before the next is read. Answers what
 * it metered, and the part of the span left when it failed or `signal` aborted (a failed write leaves the hour queued:
 * it is confirmed, not redone, when the span is tried again).
 */
async function pass(options: QueueRecoveryOptions, span: Span, stepwise = false): Promise<{ metered: number; failed?: Span }> {
  const { signal, log } = options;
  const { redo } = span;
  let metered = 0;
  let at = span.since.getTime();
  let unconfirmed = span.unconfirmed ?? false;
  const confirm = async () => {
    if (!(await redo.written())) throw new Error(`the warehouse did not take what was done to ${redo.what}`);
    unconfirmed = false;
  };
  try {
    if (unconfirmed) await confirm();
    while (at < span.until.getTime()) {
      // A close ends a long span between hours: what is left stays held for the next start.
      signal.throwIfAborted();
      const next = stepwise ? Math.min(at + SPAN_STEP_MS, span.until.getTime()) : span.until.getTime();
      metered += await redo.again(new Date(at), new Date(next), signal);
      at = next;
      unconfirmed = stepwise;
      if (stepwise) await confirm();
    }
    return { metered };
  } catch (error) {
    if (!signal.aborted) log.error({ err: error, since: new Date(at), until: span.until }, `could not ${redo.what} of a span; tried again later`);
    return { metered, failed: { redo, since: new Date(at), until: span.until, unconfirmed } };
  }
}

function claim({ marks, log }: QueueRecoveryOptions, claims: { retry: boolean }): Promise<WrittenThrough | undefined> {
  return marks.claimDead().then((claimed) => {
    claims.retry = false;
    return claimed;
  }, (error: unknown) => {
    claims.retry = true;
    log.error({ err: error }, 'could not look for the queue marks of stopped platform processes; looking again shortly');
    return undefined;
  });
}

/** A dead process's mark, or the oldest time inside the dedupe window when the mark is older (with a warning). */
function fromMark({ log, dedupeWindowDays }: QueueRecoveryOptions, now: Date, mark: Date): Date {
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
