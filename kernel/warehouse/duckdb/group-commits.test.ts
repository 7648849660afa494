import { describe, expect, it } from 'vitest';
import { GroupCommits } from './group-commits.ts';

describe('group commits', () => {
  it('write what arrives while a key is being written as one next group, keys apart, each caller told its own outcome', async () => {
    const writes: string[][] = [];
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const tracked: Promise<void>[] = [];
    const commits = new GroupCommits<string>(async (key, parts) => {
      writes.push([key, ...parts]);
      if (parts.includes('a1')) await first;
      // Written together fails when a part is bad: then each part is tried alone.
      return parts.length > 1 && parts.includes('bad') ? parts.map((part) => (part === 'bad' ? new Error('bad row') : undefined)) : undefined;
    }, (run) => void tracked.push(run));

    const a1 = commits.add('a', 'a1');
    // Parts that come before the group's write starts join it; after, they make the next group.
    await new Promise((resolve) => setImmediate(resolve));
    const [a2, bad, a3] = ['a2', 'bad', 'a3'].map((part) => commits.add('a', part));
    const b1 = commits.add('b', 'b1');
    await b1;
    expect(writes).toEqual([['a', 'a1'], ['b', 'b1']]);
    release();
    await a1;
    await a2;
    await a3;
    await expect(bad).rejects.toThrow('bad row');
    expect(writes).toEqual([['a', 'a1'], ['b', 'b1'], ['a', 'a2', 'bad', 'a3']]);
    expect(tracked).toHaveLength(3);
  });

  it('fail every part of a group whose write throws, and write the group queued behind it', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const commits = new GroupCommits<number>(async (_key, parts) => {
      writes.push([...parts]);
      if (parts.includes(1)) {
        await held;
        throw new Error('engine down');
      }
      return undefined;
    }, () => undefined);
    const first = [commits.add('k', 1), commits.add('k', 1)];
    await new Promise((resolve) => setImmediate(resolve));
    // Queued behind the failing group, equal parts apart: each caller gets its own part's outcome.
    const next = [commits.add('k', 2), commits.add('k', 2)];
    release();
    for (const part of first) await expect(part).rejects.toThrow('engine down');
    for (const part of next) await expect(part).resolves.toBeUndefined();
    expect(writes).toEqual([[1, 1], [2, 2]]);
  });
});
