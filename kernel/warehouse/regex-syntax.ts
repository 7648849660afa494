/**
 * The capturing groups of an RE2 pattern, counted as RE2 counts them: a "(" that is not escaped, not inside a
 * character class (`[(]`, `[[:alpha:](]`) or a `\Q…\E` quote, and not `(?` unless it names the group
 * (`(?P<name>`). ClickHouse's `extract` takes the first group of a pattern that has one and the whole match
 * otherwise (RE2 counts for it); DuckDB's `regexp_extract` has to be told which, from this count.
 */
export function captureGroups(pattern: string): number {
  return scan(pattern).groups;
}

/**
 * Why the engines' RE2 would refuse `pattern` where JavaScript's syntax takes it, or undefined: a lookaround, a
 * backreference, a `(?<…>` group (RE2 names groups `(?P<name>…)`), or an escape RE2 does not have (`\e`, `\Z`,
 * `\cJ`, `\u0041`, `\k<…>`, `[\b]`). The escapes RE2 has are listed, not the ones it lacks: what JavaScript
 * adds next is refused too. A pattern JavaScript refuses is not looked at here.
 */
export function re2Problem(pattern: string): string | undefined {
  return scan(pattern).problem;
}

interface Scanned {
  groups: number;
  problem?: string;
}

/** Escapes RE2 reads outside a class: `\d`, `\b`, `\pL`, `\x41`, octal `\012`, any punctuation. */
const ESCAPE = /^\\(?:[afnrtvdDsSwWbBAzC]|[pP](?:[A-Za-z]|\{\^?[A-Za-z_]+\})|x(?:[0-9A-Fa-f]{2}|\{[0-9A-Fa-f]+\})|0[0-7]{0,2}|[1-7][0-7]{1,2}|[^0-9A-Za-z])/;
/** Inside a class RE2 has no assertions (`\b`, `\A`, …). */
const CLASS_ESCAPE = /^\\(?:[afnrtvdDsSwW]|[pP](?:[A-Za-z]|\{\^?[A-Za-z_]+\})|x(?:[0-9A-Fa-f]{2}|\{[0-9A-Fa-f]+\})|0[0-7]{0,2}|[1-7][0-7]{1,2}|[^0-9A-Za-z])/;
const NAMED_GROUP = /^\?P<\w/;

function scan(pattern: string): Scanned {
  const scanned: Scanned = { groups: 0 };
  const refuse = (why: string) => (scanned.problem ??= why);
  for (let at = 0; at < pattern.length; at++) {
    const char = pattern[at];
    if (char === '\\') {
      if (pattern[at + 1] === 'Q') {
        at = quoteEnd(pattern, at);
        continue;
      }
      const escape = ESCAPE.exec(pattern.slice(at, at + 12))?.[0];
      if (!escape) refuse(`the escape ${pattern.slice(at, at + 2)}`);
      at += (escape?.length ?? 2) - 1;
    } else if (char === '[') {
      at = classEnd(pattern, at, refuse);
    } else if (char === '(') {
      const rest = pattern.slice(at + 1, at + 5);
      if (rest[0] !== '?' || NAMED_GROUP.test(rest)) scanned.groups++;
      else if (rest.startsWith('?<')) refuse(/^\?<[=!]/.test(rest) ? 'a lookbehind' : 'a (?<name>…) group');
      else if (/^\?[=!]/.test(rest)) refuse('a lookahead');
    }
  }
  return scanned;
}

/** Where the `\Q…\E` quote opening at `start` ends: its "E", or the pattern's end when it is not closed. */
function quoteEnd(pattern: string, start: number): number {
  const end = pattern.indexOf('\\E', start + 2);
  return end < 0 ? pattern.length : end + 1;
}

/** Where the character class opening at `start` ends: a "]" first in it (after an optional "^") is itself. */
function classEnd(pattern: string, start: number, refuse: (why: string) => void): number {
  let at = start + 1;
  if (pattern[at] === '^') at++;
  if (pattern[at] === ']') at++;
  for (; at < pattern.length; at++) {
    if (pattern[at] === '\\') {
      const escape = CLASS_ESCAPE.exec(pattern.slice(at, at + 12))?.[0];
      if (!escape) refuse(`the escape ${pattern.slice(at, at + 2)} in a class`);
      at += (escape?.length ?? 2) - 1;
    } else if (pattern.startsWith('[:', at)) {
      at = Math.max(at, pattern.indexOf(':]', at + 2) + 1);
    } else if (pattern[at] === ']') {
      return at;
    }
  }
  return pattern.length;
}
