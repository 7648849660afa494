import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet } from './digest-set.ts';

const md5 = (s: string) => createHash('md5').update(s).digest();

describe('DigestSet', () => {
  it('answers membership exactly through many resizes', () => {
    const set = new DigestSet(4);
    for (let i = 0; i < 50_000; i++) expect(set.add(md5(`k${i}`))).toBe(true);
    expect(set.size).toBe(50_000);
    for (let i = 0; i < 50_000; i++) expect(set.has(md5(`k${i}`))).toBe(true);
    for (let i = 50_000; i < 60_000; i++) expect(set.has(md5(`k${i}`))).toBe(false);
    expect(set.add(md5('k7'))).toBe(false);
  });

  it('holds the all-zero digest like any other', () => {
    const set = new DigestSet();
    const zero = new Uint8Array(16);
    expect(set.has(zero)).toBe(false);
    expect(set.add(zero)).toBe(true);
    expect(set.add(zero)).toBe(false);
    expect(set.has(zero)).toBe(true);
    expect(set.size).toBe(1);
  });

  it('keeps between 20 and 40 bytes per key as it grows', () => {
    const set = new DigestSet(4);
    for (let i = 1; i <= 200_000; i++) {
      set.add(md5(`k${i}`));
      if (i >= 1000 && i % 997 === 0) {
        expect(set.bytes / set.size).toBeLessThanOrEqual(40);
        expect(set.bytes / set.size).toBeGreaterThanOrEqual(20);
      }
    }
  });

  it('sizes its first table for the keys it is told to expect', () => {
    const set = new DigestSet(10_000);
    const before = set.bytes;
    for (let i = 0; i < 10_000; i++) set.add(md5(`k${i}`));
    expect(set.bytes).toBe(before);
  });

  it('tells digests apart by their first 96 bits only', () => {
    const set = new DigestSet();
    const digest = md5('k');
    const sameStart = Buffer.from(digest);
    sameStart[15] = sameStart[15]! ^ 0xff;
    const otherStart = Buffer.from(digest);
    otherStart[11] = otherStart[11]! ^ 0x01;
    expect(set.add(digest)).toBe(true);
    expect(set.has(sameStart)).toBe(true);
    expect(set.has(otherStart)).toBe(false);
  });

  it('rejects digests of the wrong length', () => {
    expect(() => new DigestSet().add(new Uint8Array(8))).toThrow(RangeError);
  });
});
