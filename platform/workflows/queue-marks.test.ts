import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import type { StateStore, StateTransaction } from '../../kernel/state/index.ts';
import type { SqlValue } from '../../kernel/warehouse/index.ts';
import { TestClock } from '../../test/support/test-clock.ts';
import { twoProcesses } from '../../test/support/state.ts';
import { QUEUE_MARKS_TABLE } from './queue-marks-table.ts';
import { DEAD_AFTER_MS, MARK_EVERY_MS, QueueMarks } from './queue-marks.ts';
import { recoverQueuesAfterStart, remeterFrom, type QueueRecoveryOptions } from './queue-recovery.ts';

const LAG_MS = 60_000;
const DAY_MS = 86_400_000;
const silent = { error: () => undefined, warn: () => undefined };

describe.each(['duckdb', 'postgresql'] as const)('queue marks on %s', (engine) => {
  let processes: Awaited<ReturnType<typeof twoProcesses>>;
  let clock: TestClock;
  let writes: 'succeed' | 'fail';
  let queued: number;
  const started: QueueMarks[] = [];
  const marksOf = (state: StateStore) => {
    const marks = new QueueMarks({ state, clock, liveness: clock, receipts: receiptsClock, log: silent, queued: () => queued, written: () => Promise.resolve(writes === 'succeed') });
    started.push(marks);
    return marks;
  };
  // Receipts are dated by a clock of their own (the system's), a day off the workflow clock here: each mark follows its own.
  const receiptsClock = { now: () => new Date(clock.now().getTime() + DAY_MS) };
  const marksIn = async () => new Map((await processes.stores[0].query<{ process_id: string; written_through: Date; decisions_through: Date; seen_at: Date }>(
    'SELECT process_id, written_through, decisions_through, seen_at FROM queue_marks',
  )).map((row) => [row.process_id, { writtenThrough: new Date(row.written_through), seenAt: new Date(row.seen_at), decisionsThrough: new Date(row.decisions_through) }]));

  beforeEach(async (context) => {
    if (engine === 'postgresql' && !inject('postgresUrl')) context.skip();
    processes = await twoProcesses(engine, [QUEUE_MARKS_TABLE]);
    clock = new TestClock();
    writes = 'succeed';
    queued = 0;
  });
  afterEach(async () => {
    // Their timers stop before the store goes.
    await Promise.all(started.splice(0).map((marks) => marks.stop()));
    await processes?.dispose();
  });

  it('advance only while the queue is written; a dead process\'s mark is taken over once, holding the taker\'s own mark until released', async () => {
    const started = clock.now().getTime();
    const a = marksOf(processes.stores[0]);
    await a.start();
    clock.advance(MARK_EVERY_MS);
    queued++;
    await a.mark();
    // The warehouse stops taking writes: the mark says the process lives, not that later events are written.
    writes = 'fail';
    clock.advance(MARK_EVERY_MS);
    queued++;
    await a.mark();
    expect((await marksIn()).get(a.process)).toEqual({
      writtenThrough: new Date(started + MARK_EVERY_MS - LAG_MS), decisionsThrough: new Date(started + DAY_MS + MARK_EVERY_MS - LAG_MS), seenAt: new Date(started + 2 * MARK_EVERY_MS),
    });
    // Killed here. Another process, once the mark is old enough to be a dead process's on a shared store.
    writes = 'succeed';
    clock.advance(DEAD_AFTER_MS + 1);
    const b = marksOf(processes.stores[1]);
    await b.start();
    const mark = new Date(started + MARK_EVERY_MS - LAG_MS);
    expect(await b.claimDead()).toEqual({ transitions: mark, decisions: new Date(mark.getTime() + DAY_MS) });
    expect([...(await marksIn()).keys()]).toEqual([b.process]);
    // A third process sharing the store finds nothing left to take.
    if (engine === 'postgresql') expect(await marksOf(processes.stores[0]).claimDead()).toBeUndefined();
    // Until b has metered the span again, its own mark stays at the span's start, however its queue is written.
    clock.advance(MARK_EVERY_MS);
    queued++;
    await b.mark();
    expect((await marksIn()).get(b.process)).toMatchObject({ writtenThrough: mark, decisionsThrough: new Date(mark.getTime() + DAY_MS) });
    b.release();
    queued++;
    await b.mark();
    expect((await marksIn()).get(b.process)).toMatchObject({
      writtenThrough: new Date(clock.now().getTime() - LAG_MS), decisionsThrough: new Date(clock.now().getTime() + DAY_MS - LAG_MS),
    });
  });

  it(engine === 'duckdb' ? 'take every other process for dead: one process holds the store' : 'take a process for dead only once its mark is older than DEAD_AFTER_MS', async () => {
    const a = marksOf(processes.stores[0]);
    await a.start();
    clock.advance(DEAD_AFTER_MS - 1);
    const b = marksOf(processes.stores[1]);
    const early = await b.claimDead();
    clock.advance(2);
    const late = await b.claimDead();
    expect([early, late].map((claimed) => claimed !== undefined)).toEqual(engine === 'duckdb' ? [true, false] : [false, true]);
  });

  it(engine === 'duckdb' ? 'are not written again by an idle process: nothing new for continuous backup to ship' : 'are refreshed while a process lives, idle or not', async () => {
    const a = marksOf(processes.stores[0]);
    await a.start();
    const seen = async () => (await marksIn()).get(a.process)!.seenAt.getTime();
    const first = await seen();
    clock.advance(MARK_EVERY_MS);
    await a.mark();
    expect(await seen()).toBe(engine === 'duckdb' ? first : first + MARK_EVERY_MS);
    queued++;
    clock.advance(MARK_EVERY_MS);
    await a.mark();
    expect(await seen()).toBe(first + 2 * MARK_EVERY_MS);
  });

  it('are marked again by a paused process whose mark was taken, and removed on close only once the queue is written', async () => {
    const a = marksOf(processes.stores[0]);
    await a.start();
    clock.advance(DEAD_AFTER_MS + 1);
    const b = marksOf(processes.stores[1]);
    await b.start();
    expect(await b.claimDead()).toBeDefined();
    b.release();
    // A wakes: its next mark puts its row back.
    queued++;
    await a.mark();
    expect([...(await marksIn()).keys()].sort()).toEqual([a.process, b.process].sort());
    // A close whose queue was not all written leaves the mark for the next start; so does one holding a span.
    await a.close(false);
    expect([...(await marksIn()).keys()].sort()).toEqual([a.process, b.process].sort());
    const c = marksOf(processes.stores[1]);
    await c.start();
    clock.advance(DEAD_AFTER_MS + 1);
    await c.mark();
    expect(await c.claimDead()).toBeDefined();
    await c.close(true);
    expect([...(await marksIn()).keys()]).toEqual([c.process]);
    await b.close(true);
  });
});

describe.runIf(inject('postgresUrl'))('queue marks on a PostgreSQL store shared by live processes', () => {
  let processes: Awaited<ReturnType<typeof twoProcesses>>;
  const clock = new TestClock();
  const marksOf = (state: StateStore) => new QueueMarks({ state, clock, liveness: clock, receipts: clock, log: silent, queued: () => 0, written: () => Promise.resolve(true) });
  const marksIn = async () => (await processes.stores[0].query<{ process_id: string }>('SELECT process_id FROM queue_marks')).map((row) => row.process_id);
  beforeEach(async () => {
    processes = await twoProcesses('postgresql', [QUEUE_MARKS_TABLE]);
  });
  afterEach(() => processes.dispose());

  it('are swept by a live process: a process killed and never restarted is metered again and its decisions restored without waiting for a start', async () => {
    const metered: [Date, Date][] = [];
    const restored: [Date, Date][] = [];
    const closing = new AbortController();
    const b = marksOf(processes.stores[1]);
    await b.start();
    const remetering = recoverQueuesAfterStart({ ...remeteringWith(metered, b, clock, undefined, restored), signal: closing.signal, sweepEveryMs: 20 });
    await remetering.metered;
    metered.splice(0);
    const a = marksOf(processes.stores[0]);
    await a.start();
    const killedAt = clock.now().getTime();
    clock.advance(DEAD_AFTER_MS + 1);
    await vi.waitFor(() => expect(metered).toEqual([[new Date(killedAt - LAG_MS), clock.now()]]), { timeout: 5_000 });
    await vi.waitFor(() => expect(restored).toEqual([[new Date(killedAt - LAG_MS), clock.now()]]), { timeout: 5_000 });
    await vi.waitFor(async () => expect(await marksIn()).toEqual([b.process]), { timeout: 5_000 });
    closing.abort();
    await remetering.stopped;
    await Promise.all([a.stop(), b.stop()]);
  });

  it('leave a paused process that marks while its old mark is being taken over its new mark', async () => {
    const a = marksOf(processes.stores[0]);
    await a.start();
    clock.advance(DEAD_AFTER_MS + 1);
    // B's claim stops after reading the marks until A, awake again, has marked.
    let awake!: () => void;
    const aMarked = new Promise<void>((resolve) => { awake = resolve; });
    const inner = processes.stores[1];
    const pausing: StateStore = Object.assign(Object.create(inner) as StateStore, {
      transaction: <T>(work: (tx: StateTransaction) => Promise<T>) => inner.transaction((tx) => work(Object.assign(Object.create(tx) as StateTransaction, {
        query: async (sql: string, params?: readonly SqlValue[]) => {
          const rows = await tx.query(sql, params);
          if (sql.includes('FROM queue_marks')) await aMarked;
          return rows;
        },
      }))),
    });
    const b = marksOf(pausing);
    const claiming = b.claimDead();
    await a.mark();
    awake();
    expect(await claiming).toBeUndefined();
    expect(await marksIn()).toEqual([a.process]);
    await Promise.all([a.stop(), b.stop()]);
  });
});

/**
 * Options whose workflows record the spans metered again (then run `each`, which may wait or throw) and answer 1
 * transition each; the decision log records the spans restored in `restored` and answers 1 decision each.
 */
function remeteringWith(
  metered: [Date, Date][], marks: QueueMarks, clock: TestClock, each?: (since: Date) => Promise<void> | void, restored: [Date, Date][] = [],
): Omit<QueueRecoveryOptions, 'signal'> {
  return {
    decisions: {
      restoreBetween: (since, until) => {
        restored.push([since, until]);
        return Promise.resolve(1);
      },
      written: () => Promise.resolve(true),
    },
    receipts: clock,
    workflows: {
      meterSince: async (since, until) => {
        metered.push([since, until]);
        await each?.(since);
        return 1;
      },
      meters: () => Promise.resolve(false),
    },
    marks, clock, log: silent, guardMs: 0, dedupeWindowDays: 35, written: () => Promise.resolve(true),
  };
}

describe('a start metering again from a dead process\'s mark', () => {
  let processes: Awaited<ReturnType<typeof twoProcesses>>;
  let clock: TestClock;
  let dead: QueueMarks;
  let deadMark: Date;
  let marks: QueueMarks;
  /** This process's mark as stored. */
  const own = async () => new Date((await processes.stores[0].query<{ written_through: Date }>('SELECT written_through FROM queue_marks'))[0]!.written_through);
  /** A process marks, dies, and this one starts `later` ms after. */
  const startAfterDeadProcess = async (later: number) => {
    const options = { state: processes.stores[0], clock, liveness: clock, receipts: clock, log: silent, queued: () => 0, written: () => Promise.resolve(true) };
    dead = new QueueMarks(options);
    await dead.start();
    deadMark = new Date(clock.now().getTime() - LAG_MS);
    clock.advance(later);
    marks = new QueueMarks(options);
    await marks.start();
  };
  beforeEach(async () => {
    processes = await twoProcesses('duckdb', [QUEUE_MARKS_TABLE]);
    clock = new TestClock();
  });
  afterEach(async () => {
    await Promise.all([dead.stop(), marks.stop()]);
    await processes.dispose();
  });

  it('meters the last minutes first, for readers, and the dead process\'s older span in the background, holding its own mark before it', async () => {
    await startAfterDeadProcess(3_600_000);
    const spans: [Date, Date][] = [];
    const restored: [Date, Date][] = [];
    let olderWritten!: () => void;
    const closing = new AbortController();
    const remetering = recoverQueuesAfterStart({
      ...remeteringWith(spans, marks, clock, async (since) => {
        if (since.getTime() === deadMark.getTime()) await new Promise<void>((resolve) => { olderWritten = resolve; });
      }, restored),
      signal: closing.signal,
    });
    const lookback = new Date(clock.now().getTime() - 15 * 60_000);
    await remetering.readable;
    await vi.waitFor(() => expect(olderWritten).toBeTypeOf('function'));
    expect(spans).toEqual([[lookback, clock.now()], [deadMark, lookback]]);
    // Killed now, the next start would find this process's mark at the dead one's.
    expect(await own()).toEqual(deadMark);
    olderWritten();
    expect(await remetering.metered).toBe(2);
    // The decisions its receipts cite, from its mark, an hour at a time.
    expect(restored).toEqual([[deadMark, new Date(deadMark.getTime() + 3_600_000)], [new Date(deadMark.getTime() + 3_600_000), clock.now()]]);
    await marks.mark();
    expect(await own()).toEqual(new Date(clock.now().getTime() - LAG_MS));
    closing.abort();
    await remetering.stopped;
  });

  it('waits for an hour whose write failed rather than metering it again: the queue still holds it', async () => {
    await startAfterDeadProcess(3 * 3_600_000);
    const spans: [Date, Date][] = [];
    const answers = [true, false];
    const closing = new AbortController();
    const remetering = recoverQueuesAfterStart({
      ...remeteringWith(spans, marks, clock),
      written: () => Promise.resolve(answers.shift() ?? true),
      signal: closing.signal,
      sweepEveryMs: 20,
    });
    await remetering.metered;
    const lookback = new Date(clock.now().getTime() - 15 * 60_000);
    const hour = (n: number) => new Date(deadMark.getTime() + n * 3_600_000);
    // The second hour's write failed: the sweep waits for it, then goes on from the third.
    await vi.waitFor(async () => {
      await marks.mark();
      expect(await own()).toEqual(new Date(clock.now().getTime() - LAG_MS));
    }, { timeout: 5_000 });
    expect(spans.slice(1)).toEqual([[hour(0), hour(1)], [hour(1), hour(2)], [hour(2), lookback]]);
    closing.abort();
    await remetering.stopped;
  });

  it('looks for dead processes\' marks again when the start could not, on a store one process holds too', async () => {
    await startAfterDeadProcess(3_600_000);
    const spans: [Date, Date][] = [];
    let looks = 0;
    const blinking = Object.assign(Object.create(marks) as QueueMarks, {
      claimDead: () => (looks++ === 0 ? Promise.reject(new Error('the state store blinked')) : marks.claimDead()),
    });
    const closing = new AbortController();
    const remetering = recoverQueuesAfterStart({ ...remeteringWith(spans, blinking, clock), signal: closing.signal, sweepEveryMs: 20 });
    await remetering.metered;
    await vi.waitFor(() => expect(spans.map(([since]) => since)).toContainEqual(deadMark), { timeout: 5_000 });
    expect(await processes.stores[0].query('SELECT process_id FROM queue_marks WHERE process_id = ?', [dead.process])).toEqual([]);
    closing.abort();
    await remetering.stopped;
  });

  it.each(['transitions', 'decisions'] as const)('holds its own mark before a span of %s whose pass failed until a sweep has redone it', async (kind) => {
    // Within the last 15 minutes: the start's own pass over them covers the dead process's span.
    await startAfterDeadProcess(5 * 60_000);
    const metered: [Date, Date][] = [];
    const restored: [Date, Date][] = [];
    const spans = kind === 'transitions' ? metered : restored;
    const failFirst = () => {
      if (spans.length === 1) throw new Error('the store blinked');
    };
    const options = remeteringWith(metered, marks, clock, kind === 'transitions' ? failFirst : undefined, restored);
    const restoreBetween = async (since: Date, until: Date) => {
      const count = await options.decisions.restoreBetween(since, until);
      failFirst();
      return count;
    };
    const closing = new AbortController();
    const remetering = recoverQueuesAfterStart({
      ...options,
      decisions: kind === 'decisions' ? { ...options.decisions, restoreBetween } : options.decisions,
      signal: closing.signal,
      sweepEveryMs: 20,
    });
    expect(await remetering.metered).toBe(kind === 'transitions' ? 0 : 1);
    await marks.mark();
    expect(await own()).toEqual(deadMark);
    await vi.waitFor(() => expect(spans).toHaveLength(2), { timeout: 5_000 });
    expect(spans[1]).toEqual(spans[0]);
    await vi.waitFor(async () => {
      await marks.mark();
      expect(await own()).toEqual(new Date(clock.now().getTime() - LAG_MS));
    }, { timeout: 5_000 });
    closing.abort();
    await remetering.stopped;
  });
});

describe('where a dead process\'s span is metered again from', () => {
  const now = new Date('2026-12-01T09:00:00Z');
  const minutes = (n: number) => new Date(now.getTime() - n * 60_000);

  it('its mark, never further back than an hour inside the dedupe window', () => {
    expect(remeterFrom(now, minutes(5), 35)).toEqual(minutes(5));
    expect(remeterFrom(now, minutes(3 * 24 * 60), 35)).toEqual(minutes(3 * 24 * 60));
    // A mark older than the window: from an hour inside it, where a copy already stored is still found by dedupe.
    expect(remeterFrom(now, minutes(40 * 24 * 60), 35)).toEqual(minutes(35 * 24 * 60 - 60));
  });
});
