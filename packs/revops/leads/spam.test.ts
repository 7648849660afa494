import { describe, expect, it } from 'vitest';
import { OriginRate } from './spam.ts';

describe('OriginRate', () => {
  it("counts per tenant, and one tenant's flood of new origins neither resets nor spends another tenant's count", () => {
    const rate = new OriginRate(3, 60_000);
    const at = 1_000_000;
    expect([1, 2, 3, 4].map((i) => rate.over('acme', '203.0.113.9', at + i))).toEqual([false, false, false, true]);
    // The same address in another tenant starts from nothing.
    expect(rate.over('globex', '203.0.113.9', at + 5)).toBe(false);
    // globex sends from 150,000 addresses within the window: acme's address is still over its limit.
    for (let i = 0; i < 150_000; i++) rate.over('globex', `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, at + 10);
    expect(rate.over('acme', '203.0.113.9', at + 20)).toBe(true);
    // Past the window the address starts again.
    expect(rate.over('acme', '203.0.113.9', at + 70_000)).toBe(false);
  });
});
