import { describe, expect, it } from 'vitest';
import { captureGroups, re2Problem } from './regex-syntax.ts';

describe('captureGroups', () => {
  it('counts the groups RE2 captures, and no "(" that is escaped, in a class, quoted or a non-capturing or look group', () => {
    const counts: [string, number][] = [
      ['^tenant/([a-z0-9-]+)/', 1],
      ['(a)(b(c))', 3],
      ['(?P<t>a)(?P<1u>b)', 2],
      ['(?<u>b)', 0],
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

describe('re2Problem', () => {
  it('names what RE2 lacks of the syntax JavaScript takes, and lets through every escape RE2 has', () => {
    const refused: [string, string][] = [
      ['^vm-(\\w+)(?=-prod)', 'a lookahead'],
      ['(?<=x)y', 'a lookbehind'],
      ['(?<!x)y', 'a lookbehind'],
      ['^vm-(?<tenant>\\w+)', 'a (?<name>…) group'],
      ['^vm-(?<$t>\\w+)', 'a (?<name>…) group'],
      ['(a)\\1', 'the escape \\1'],
      ['\\k<a>', 'the escape \\k'],
      ['\\u002d', 'the escape \\u'],
      ['\\cJ', 'the escape \\c'],
      ['\\e', 'the escape \\e'],
      ['x\\Z', 'the escape \\Z'],
      ['x\\E', 'the escape \\E'],
      ['[\\b]', 'the escape \\b in a class'],
    ];
    expect(refused.map(([pattern]) => [pattern, re2Problem(pattern)])).toEqual(refused);
    const taken = [
      '^tenant/([a-z0-9-]+)/', '\\d\\D\\s\\S\\w\\W\\b\\B\\A\\z', '\\pL\\p{Greek}\\P{^Lu}', '\\x41\\x{263a}', '\\012\\0\\12',
      '\\.\\-\\/\\(\\)\\[\\]\\{\\}\\\\', '\\Q\\u(?=\\E', '[(?<a]x', '[\\d\\-\\]]', '(?i)a(?:b)(?P<n>c)', '\\t\\n\\r\\f\\v\\a',
    ];
    expect(taken.filter((pattern) => re2Problem(pattern) !== undefined)).toEqual([]);
  });
});
