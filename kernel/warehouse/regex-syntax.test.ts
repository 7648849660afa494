import { describe, expect, it } from 'vitest';
import { captureGroups } from './regex-syntax.ts';

describe('captureGroups', () => {
  it('counts the groups RE2 captures, and no "(" that is escaped, in a class, quoted or a non-capturing or look group', () => {
    const counts: [string, number][] = [
      ['^tenant/([a-z0-9-]+)/', 1],
      ['(a)(b(c))', 3],
      ['(?P<t>a)(?<u>b)', 2],
      ['(?:a)(?i)b(?=c)(?<=d)(?<!e)', 0],
      ['\\(a\\)', 0],
      ['\\\\(a)', 1],
      ['[(]a[)]', 0],
      ['[^(]+', 0],
      ['[]()]x', 0],
      ['[^]()]x', 0],
      ['[[:alpha:](]+', 0],
      ['[[:alpha:]](a)', 1],
      ['[\\]()](a)', 1],
      ['\\Q(a)\\E(b)', 1],
      ['\\Q(a)', 0],
      ['[(', 0],
    ];
    expect(counts.map(([pattern]) => [pattern, captureGroups(pattern)])).toEqual(counts);
  });
});
