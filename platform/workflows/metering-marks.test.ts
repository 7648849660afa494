import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { DuckDBStateStore, ensureStateSchema, PostgresStateStore, type StateStore } from '../../kernel/state/index.ts';
import { freshPostgresDatabase } from '../../test/support/postgres.ts';
import { TestClock } from '../../test/support/test-clock.ts';
import { METERING_MARKS_TABLE } from './metering-marks-table.ts';
import { DEAD_AFTER_MS, MARK_EVERY_MS, MeteringMarks } from './metering-marks.ts';
import { remeterAfterStart, remeterFrom } from './remetering.ts';

const silent = { error: () => undefined };
const LAG_MS = 60_000;

/** Two platform processes' view of one state store: each its own connection where the engine has several (PostgreSQL). */
async function twoProcesses(engine: 'duckdb' | 'postgresql'): Promise<{ stores: [StateStore, StateStore]; dispose(): Promise<void> }> {
  if (engine === 'duckdb') {
    // One process holds an embedded store: the process before a restart and the one after it, one after the other.
    const state = await DuckDBStateStore.open(':memory:', [METERING_MARKS_TABLE]);
    await ensureStateSchema(state);
    return { stores: [state, state], dispose: () => state.close() };
  }
  const database = await freshPostgresDatabase(inject('postgresUrl')!);
  const first = await PostgresStateStore.open(database.url, [METERING_MARKS_TABLE]);
  await ensureStateSchema(first);
  const second = await PostgresStateStore.open(database.url, [METERING_MARKS_TABLE]);
  return {
    stores: [first, second],
    dispose: async () => {
      await Promise.all([first.close(), second.close()]);
      await database.drop();
    },
  };
}

describe.each(['duckdb', 'postgresql'] as const)('metering marks on %s', (engine) => {
  let processes: Awaited<ReturnType<typeof twoProcesses>>;
  let clock: TestClock;
  let flushes: 'write' | 'fail';
  let queued: number;
  const marksOf = (state: StateStore) => new MeteringMarks({
    state, clock, log: silent, queued: () => queued, flush: () => (flushes === 'write' ? Promise.resolve() : Promise.reject(new Error('warehouse down'))),
  });

  beforeEach(async (context) => {
    if (engine === 'postgresql' && !inject('postgresUrl')) context.skip();
    processes = await twoProcesses(engine);
    clock = new TestClock();
    flushes = 'write';
    queued = 0;
  });
  afterEach(() => processes?.dispose());

  it('name where a dead process\'s queue may begin, advancing only while its queue is written', async () => {
    const started = clock.now().getTime();
    const a = marksOf(processes.stores[0]);
    await a.start();
    clock.advance(MARK_EVERY_MS);
    queued++;
    await a.mark();
    // The warehouse stops taking writes: the mark says the process lives, not that later events are written.
    flushes = 'fail';
    clock.advance(MARK_EVERY_MS);
    queued++;
    await a.mark();
    // Killed here. The next start, once the mark is old enough to be a dead process's on a shared store.
    clock.advance(DEAD_AFTER_MS + 1);
    const b = marksOf(processes.stores[1]);
    const dead = await b.dead(clock.now());
    expect(dead).toEqual([{ process: a.process, writtenThrough: new Date(started + MARK_EVERY_MS - LAG_MS), seenAt: new Date(started + 2 * MARK_EVERY_MS) }]);
    await b.forget(dead);
    expect(await b.dead(clock.now())).toEqual([]);
  });

  it(engine === 'duckdb' ? 'take every other process for dead: one process holds the store' : 'take a process for dead only once its mark is older than DEAD_AFTER_MS', async () => {
    const a = marksOf(processes.stores[0]);
    await a.start();
    clock.advance(DEAD_AFTER_MS - 1);
    const b = marksOf(processes.stores[1]);
    expect((await b.dead(clock.now())).map((mark) => mark.process)).toEqual(engine === 'duckdb' ? [a.process] : []);
    clock.advance(2);
    expect((await b.dead(clock.now())).map((mark) => mark.process)).toEqual([a.process]);
  });

  it(engine === 'duckdb' ? 'are not written again by an idle process: nothing new for continuous backup to ship' : 'are refreshed while a process lives, idle or not', async () => {
    const a = marksOf(processes.stores[0]);
    await a.start();
    const seen = async () => (await processes.stores[0].query<{ seen_at: Date }>('SELECT seen_at FROM metering_marks'))[0]!.seen_at.getTime();
    const first = await seen();
    clock.advance(MARK_EVERY_MS);
    await a.mark();
    expect(await seen()).toBe(engine === 'duckdb' ? first : first + MARK_EVERY_MS);
    // Something queued: marked again.
    queued++;
    clock.advance(MARK_EVERY_MS);
    await a.mark();
    expect(await seen()).toBe(first + 2 * MARK_EVERY_MS);
  });

  it('keep the new mark of a process that was only paused, and remove their own on close', async () => {
    const a = marksOf(processes.stores[0]);
    await a.start();
    clock.advance(DEAD_AFTER_MS + 1);
    const b = marksOf(processes.stores[1]);
    await b.start();
    const dead = await b.dead(clock.now());
    expect(dead.map((mark) => mark.process)).toEqual([a.process]);
    // A wakes and marks before B is done with its old mark: B's forget leaves the new one.
    clock.advance(1);
    queued++;
    await a.mark();
    await b.forget(dead);
    const rows = async () => (await processes.stores[0].query<{ process_id: string }>('SELECT process_id FROM metering_marks ORDER BY process_id')).map((row) => row.process_id);
    expect(await rows()).toEqual([a.process, b.process].sort());
    // Forgotten while paused, it marks again from what it can vouch for.
    await b.forget(await b.dead(new Date(clock.now().getTime() + DEAD_AFTER_MS + 1)));
    expect(await rows()).toEqual([b.process]);
    queued++;
    await a.mark();
    expect(await rows()).toEqual([a.process, b.process].sort());
    await a.close();
    await b.close();
    expect(await rows()).toEqual([]);
  });
});

describe('a start metering again from a dead process\'s mark', () => {
  it('forgets the mark only once what it metered again is written: a kill before that leaves the mark for the next start', async () => {
    const state = await DuckDBStateStore.open(':memory:', [METERING_MARKS_TABLE]);
    await ensureStateSchema(state);
    try {
      const clock = new TestClock();
      const dead = new MeteringMarks({ state, clock, log: silent, queued: () => 0, flush: () => Promise.resolve() });
      await dead.start();
      clock.advance(3_600_000);
      const marks = new MeteringMarks({ state, clock, log: silent, queued: () => 0, flush: () => Promise.resolve() });
      let written!: () => void;
      let flushed = false;
      const metered: Date[] = [];
      const remetered = remeterAfterStart({
        workflows: { meterSince: async (since) => (metered.push(since), 2), meters: () => Promise.resolve(false) },
        marks, clock, log: { error: () => undefined, warn: () => undefined }, guardMs: 0, dedupeWindowDays: 35, signal: new AbortController().signal,
        flush: () => new Promise<void>((resolve) => { flushed = true; written = resolve; }),
      });
      await vi.waitFor(() => expect(flushed).toBe(true));
      expect(metered).toEqual([new Date(clock.now().getTime() - 3_600_000 - LAG_MS)]);
      expect((await marks.dead(clock.now())).map((mark) => mark.process)).toEqual([dead.process]);
      written();
      expect(await remetered.metered).toBe(2);
      expect(await marks.dead(clock.now())).toEqual([]);
    } finally {
      await state.close();
    }
  });
});

describe('where a start meters again from', () => {
  const startedAt = new Date('2026-12-01T09:00:00Z');
  const minutes = (n: number) => new Date(startedAt.getTime() - n * 60_000);

  it('the last 15 minutes at least, a dead process\'s mark when earlier, never past the dedupe window', () => {
    expect(remeterFrom(startedAt, undefined, 35)).toEqual(minutes(15));
    expect(remeterFrom(startedAt, minutes(5), 35)).toEqual(minutes(15));
    expect(remeterFrom(startedAt, minutes(3 * 24 * 60), 35)).toEqual(minutes(3 * 24 * 60));
    // A mark older than the window: from an hour inside it, where a copy already stored is still found by dedupe.
    expect(remeterFrom(startedAt, minutes(40 * 24 * 60), 35)).toEqual(minutes(35 * 24 * 60 - 60));
    // A window shorter than the lookback does not shorten the lookback.
    expect(remeterFrom(startedAt, minutes(60), 0)).toEqual(minutes(15));
  });
});
