import { describe, expect, it, vi } from 'vitest';
import { BufferedWriter } from './buffered-writer.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('BufferedWriter', () => {
  it('flush: callers arriving during a write share the next batch instead of queueing one write each', async () => {
    const batches: number[][] = [];
    const gate = deferred();
    const writer = new BufferedWriter<number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate.promise;
      },
      () => undefined,
      { flushAfterMs: 60_000, maxBatch: 1000 },
    );
    writer.push(1);
    const first = writer.flush();
    await new Promise((resolve) => setImmediate(resolve)); // the first write is now in flight
    const waiting = [2, 3, 4].map((n) => {
      writer.push(n);
      return writer.flush();
    });
    gate.resolve();
    await Promise.all([first, ...waiting]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('a failed write keeps its rows queued; they go out with the next flush', async () => {
    const written: number[] = [];
    let fail = true;
    const errors: number[] = [];
    const writer = new BufferedWriter<number>(
      async (items) => {
        if (fail) throw new Error('warehouse down');
        written.push(...items);
      },
      (_error, pending) => errors.push(pending),
      { flushAfterMs: 60_000, maxBatch: 1000 },
    );
    writer.push(7);
    await writer.flush();
    expect(errors).toEqual([1]);
    fail = false;
    await writer.flush();
    expect(written).toEqual([7]);
    await writer.close();
  });

  it('written: true only once everything pushed before it is written, a failed write\'s items included', async () => {
    let fail = false;
    let release: (() => void) | undefined;
    const writer = new BufferedWriter<number>(
      async (items) => {
        if (items.includes(2) && !release) await new Promise<void>((resolve) => { release = resolve; });
        if (fail) throw new Error('warehouse down');
      },
      () => undefined,
      { flushAfterMs: 60_000, maxBatch: 1000 },
    );
    writer.push(1);
    expect(await writer.written()).toBe(true);
    fail = true;
    writer.push(2);
    const inFlight = writer.written();
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    // Pushed while 2's write is in flight: its batch comes after, with 2 again once that write fails.
    writer.push(3);
    const after = writer.written();
    release!();
    expect(await inFlight).toBe(false);
    expect(await after).toBe(false);
    fail = false;
    expect(await writer.written()).toBe(true);
    await writer.close();
  });
});
