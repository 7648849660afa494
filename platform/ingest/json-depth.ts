import { MAX_JSON_DEPTH } from '../../kernel/schemas/index.ts';

export { MAX_JSON_DEPTH };

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/**
 * The nesting depth of JSON text, in one pass that counts brackets outside
 * strings. Stops as soon as the depth passes `limit` and answers `limit + 1`,
 * so a body nested a million deep costs no more than one nested `limit + 1`.
 * Does not check the text is valid JSON: the parser does that afterwards.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH, from = 0, to = text.length): number {
  let depth = 0;
  let deepest = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i, to);
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return deepest;
}

/** Index of the quote that closes the string opened at `start` (or `to`). */
function endOfString(text: string, start: number, to: number): number {
  // indexOf is native: strings are most of a body's characters, so jump from quote to quote.
  let quote = text.indexOf('"', start + 1);
  while (quote !== -1 && quote < to) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return to;
}

/**
 * The texts of the elements of a top-level JSON array, split at its own commas
 * (not those inside strings or nested values), each trimmed. Throws a
 * SyntaxError when `text` is not an array whose brackets balance; whether each
 * element is valid JSON is for its own parse to tell.
 */
export function splitJsonArray(text: string): string[] {
  const start = text.search(/\S/);
  if (start < 0 || text.charCodeAt(start) !== OPEN_ARRAY) throw new SyntaxError('Expected a JSON array');
  const elements: string[] = [];
  let depth = 0;
  let elementStart = start + 1;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i, text.length);
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (--depth === 0) {
        const last = text.slice(elementStart, i).trim();
        if (last || elements.length) elements.push(last);
        if (text.slice(i + 1).trim()) throw new SyntaxError(`Unexpected text after the JSON array at position ${i + 1}`);
        if (elements.some((e) => e === '')) throw new SyntaxError('Unexpected "," in the JSON array');
        return elements;
      }
    } else if (c === COMMA && depth === 1) {
      elements.push(text.slice(elementStart, i).trim());
      elementStart = i + 1;
    }
  }
  throw new SyntaxError('Unexpected end of the JSON array');
}
