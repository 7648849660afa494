import { describe, expect, it } from 'vitest';
import { closeWithin } from './bounded-close.ts';

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
