import { describe, expect, it } from 'vitest';
import { CoalescedRun } from './coalesced-run.ts';

function gated() {
  const starts: { release: (value: number) => void; fail: (error: Error) => void }[] = [];
  const runner = new CoalescedRun(() => new Promise<number>((resolve, reject) => starts.push({ release: resolve, fail: reject })));
  return { starts, runner };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescedRun', () => {
  it('answers a call made during a run with the next run, shared by every call made meanwhile', async () => {
    const { starts, runner } = gated();
    const first = runner.run();
    const [second, third] = [runner.run(), runner.run()];
    expect(starts).toHaveLength(1);
    starts[0]!.release(1);
    expect(await first).toBe(1);
    await turn();
    expect(starts).toHaveLength(2);
    starts[1]!.release(2);
    expect([await second, await third]).toEqual([2, 2]);
    expect(starts).toHaveLength(2);
  });

  it('starts the next run after a failed one, and a later call starts afresh', async () => {
    const { starts, runner } = gated();
    const first = runner.run();
    const second = runner.run();
    starts[0]!.fail(new Error('warehouse went away'));
    await expect(first).rejects.toThrow('warehouse went away');
    await turn();
    starts[1]!.release(7);
    expect(await second).toBe(7);
    const third = runner.run();
    expect(starts).toHaveLength(3);
    starts[2]!.release(8);
    expect(await third).toBe(8);
  });
});
