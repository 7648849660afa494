import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { promiseHooksOn } from '../../test/support/promise-hooks.ts';
import { SerialLock } from './serial-lock.ts';

describe('SerialLock', () => {
  it('runs tasks one at a time, in the order asked, a failure stopping only its own', async () => {
    const lock = new SerialLock();
    const events: string[] = [];
    const task = (name: string, ms: number, fail = false) => lock.run(async () => {
      events.push(`${name} start`);
      await sleep(ms);
      events.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    });
    const outcomes = await Promise.allSettled([task('a', 20), task('b', 1, true), task('c', 5)]);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('runs calls from anything a holding task starts at once, inside it, and makes callers outside wait', async () => {
    const lock = new SerialLock();
    const events: string[] = [];
    let leftBehind: Promise<void> | undefined;
    await lock.runHolding(async () => {
      expect(lock.held()).toBe(true);
      // Started inside and not awaited: once the task is over it is outside, even inside a later holding task.
      leftBehind = new Promise<void>((resolve) => setTimeout(resolve, 30)).then(() => lock.run(async () => void events.push('left behind')));
      // Deep in its awaits and in a timer it set: still inside, so no deadlock.
      await sleep(1);
      await new Promise<void>((resolve) => setTimeout(() => void lock.run(async () => void events.push('nested in a timer')).then(resolve), 1));
      await lock.runHolding(async () => void events.push('nested holding'));
      events.push('holding end');
    });
    // A caller that never was inside queues behind whatever runs.
    const first = lock.run(async () => {
      expect(lock.held()).toBe(false);
      await sleep(10);
      events.push('plain');
    });
    const second = lock.runHolding(async () => {
      await sleep(60);
      events.push('holding after plain');
    });
    await Promise.all([first, second, leftBehind]);
    expect(events).toEqual(['nested in a timer', 'nested holding', 'holding end', 'plain', 'holding after plain', 'left behind']);
    expect(lock.held()).toBe(false);
  });

  it('puts hooks on promises only while a holding task runs (Node 20 hooks every promise for AsyncLocalStorage)', async () => {
    // The probe itself must see none before: something else in the process may hook promises.
    expect(await promiseHooksOn()).toBe(false);
    const lock = new SerialLock();
    await lock.run(async () => {
      await sleep(1);
      expect(await promiseHooksOn()).toBe(false);
    });
    await lock.runHolding(async () => {
      // From Node 24 on, AsyncLocalStorage needs no promise hooks at all.
      expect(await promiseHooksOn()).toBe(Number(process.versions.node.split('.')[0]) < 24);
      expect(lock.held()).toBe(true);
    });
    expect(await promiseHooksOn()).toBe(false);
    await expect(lock.runHolding(async () => {
      throw new Error('refused');
    })).rejects.toThrow('refused');
    expect(await promiseHooksOn()).toBe(false);
    expect(lock.held()).toBe(false);
  });
});
