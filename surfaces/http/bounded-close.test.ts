import { describe, expect, it } from 'vitest';
import { closeInOrder, closeWithin } from './bounded-close.ts';

describe('closeWithin', () => {
  const logged: string[] = [];
  const log = { warn: (_details: object, message: string) => void logged.push(message) };

  it('says whether a step finished, failed, or was abandoned, and logs the latter two', async () => {
    expect(await closeWithin('quick flush', 1000, async () => undefined, log)).toBe(true);
    expect(await closeWithin('broken flush', 1000, async () => { throw new Error('refused'); }, log)).toBe(false);
    expect(await closeWithin('hung flush', 50, () => new Promise(() => {}), log)).toBe(false);
    expect(logged).toEqual([
      'shutdown: "broken flush" failed; what it had not finished is lost or redelivered',
      'shutdown: abandoned "hung flush" after 50 ms; what it had not finished is lost or redelivered',
    ]);
  });
});

describe('closeInOrder', () => {
  const log = { warn: () => undefined };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('gives a slow last step what the earlier steps left of the deadline, not a fixed slice', async () => {
    const ran: string[] = [];
    const steps = [
      { what: 'quick', capMs: 1000, step: () => void ran.push('quick') },
      { what: 'slow checkpoint', step: async () => { await sleep(1200); ran.push('slow checkpoint'); } },
    ];
    expect(await closeInOrder(steps, 3000, log)).toBe(true);
    expect(ran).toEqual(['quick', 'slow checkpoint']);
  });

  it('holds every step to its cap and the whole to the deadline, and says something was abandoned', async () => {
    const started = Date.now();
    const hang = () => new Promise(() => {});
    const steps = [
      { what: 'capped', capMs: 200, step: hang },
      { what: 'uncapped', step: hang },
      { what: 'after the deadline', step: hang },
    ];
    const waited: [string, number][] = [];
    const recording = { warn: (details: object) => void waited.push([(details as { step: string }).step, (details as { waitedMs: number }).waitedMs]) };
    expect(await closeInOrder(steps, 600, recording)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    // Each step got its cap or what the deadline left, nothing after it: the time a slow machine's late timers take is not given twice.
    expect(waited.map(([step]) => step)).toEqual(['capped', 'uncapped', 'after the deadline']);
    expect(waited[0]![1]).toBe(200);
    expect(waited[1]![1]).toBeLessThanOrEqual(400);
    expect(waited[2]![1]).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
