/**
 * The capturing groups of an RE2 pattern, counted as RE2 counts them: a "(" that is not escaped, not inside a
 * character class (`[(]`, `[[:alpha:](]`) or a `\Q…\E` quote, and not `(?` unless it names the group
 * (`(?P<name>`, `(?<name>`). ClickHouse's `extract` takes the first group of a pattern that has one and the whole
 * match otherwise (RE2 counts for it); DuckDB's `regexp_extract` has to be told which, from this count.
 */
export function captureGroups(pattern: string): number {
  let groups = 0;
  for (let at = 0; at < pattern.length; at++) {
    const char = pattern[at];
    if (char === '\\') at = pattern[at + 1] === 'Q' ? quoteEnd(pattern, at) : at + 1;
    else if (char === '[') at = classEnd(pattern, at);
    else if (char === '(' && (pattern[at + 1] !== '?' || NAMED_GROUP.test(pattern.slice(at + 1, at + 5)))) groups++;
  }
  return groups;
}

const NAMED_GROUP = /^\?P?<[A-Za-z_]/;

/** Where the `\Q…\E` quote opening at `start` ends: its "E", or the pattern's end when it is not closed. */
function quoteEnd(pattern: string, start: number): number {
  const end = pattern.indexOf('\\E', start + 2);
  return end < 0 ? pattern.length : end + 1;
}

/** Where the character class opening at `start` ends: a "]" first in it (after an optional "^") is itself. */
function classEnd(pattern: string, start: number): number {
  let at = start + 1;
  if (pattern[at] === '^') at++;
  if (pattern[at] === ']') at++;
  for (; at < pattern.length; at++) {
    if (pattern[at] === '\\') at++;
    else if (pattern.startsWith('[:', at)) at = Math.max(at, pattern.indexOf(':]', at + 2) + 1);
    else if (pattern[at] === ']') return at;
  }
  return pattern.length;
}
