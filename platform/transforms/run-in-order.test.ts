import { describe, expect, it } from 'vitest';
import { runInOrder } from './run-in-order.ts';

/** a → b → d, a → c → d, e alone. */
const PARENTS: Record<string, string[]> = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: [] };
const ORDER = ['a', 'b', 'c', 'd', 'e'];
const tick = (ms: number) => new Promise((done) => setTimeout(done, ms));

function recorder(delays: Record<string, number> = {}, fail?: string) {
  const log: string[] = [];
  let running = 0;
  let most = 0;
  const work = async (name: string) => {
    log.push(`start ${name}`);
    most = Math.max(most, ++running);
    await tick(delays[name] ?? 5);
    running--;
    log.push(`end ${name}`);
    if (name === fail) throw new Error(`${name} broke`);
  };
  return { log, work, most: () => most };
}

describe('running models in dependency order, several at once', () => {
  it('starts a name only after every parent it runs with has ended', async () => {
    const { log, work } = recorder({ b: 30, c: 5 });
    await runInOrder(ORDER, (n) => PARENTS[n]!, 4, work);
    for (const [child, parents] of Object.entries(PARENTS)) {
      for (const parent of parents) expect(log.indexOf(`start ${child}`)).toBeGreaterThan(log.indexOf(`end ${parent}`));
    }
    // b and c overlap, e runs beside a: independent work is not held back.
    expect(log.indexOf('start c')).toBeLessThan(log.indexOf('end b'));
    expect(log.indexOf('start e')).toBeLessThan(log.indexOf('end a'));
  });

  it('runs at most `threads` at once, and one after another with 1', async () => {
    const wide = recorder();
    await runInOrder(ORDER, () => [], 2, wide.work);
    expect(wide.most()).toBe(2);
    const one = recorder();
    await runInOrder(ORDER, (n) => PARENTS[n]!, 1, one.work);
    expect(one.most()).toBe(1);
    expect(one.log.filter((l) => l.startsWith('start'))).toEqual(ORDER.map((n) => `start ${n}`));
  });

  it('ignores parents that are not in the run (built earlier, or not selected)', async () => {
    const { log, work } = recorder();
    await runInOrder(['b', 'd'], (n) => PARENTS[n]!, 4, work);
    expect(log).toEqual(['start b', 'end b', 'start d', 'end d']);
  });

  it('waits on an ancestor in the run through a parent that is not (a view left out of a selection)', async () => {
    const { log, work } = recorder({ a: 30 });
    await runInOrder(['a', 'd', 'e'], (n) => PARENTS[n]!, 4, work);
    expect(log.indexOf('start d')).toBeGreaterThan(log.indexOf('end a'));
    expect(log.indexOf('start e')).toBeLessThan(log.indexOf('end a'));
  });

  it('starts nothing more once work throws, waits for what runs, then throws that error', async () => {
    const { log, work } = recorder({ a: 5, e: 40 }, 'a');
    await expect(runInOrder(ORDER, (n) => PARENTS[n]!, 2, work)).rejects.toThrow('a broke');
    expect(log).toEqual(['start a', 'start e', 'end a', 'end e']);
  });

  it('refuses a thread count that is not a whole number of at least 1', async () => {
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      await expect(runInOrder(ORDER, () => [], threads, async () => undefined)).rejects.toThrow(/threads must be a whole number/);
    }
  });
});
