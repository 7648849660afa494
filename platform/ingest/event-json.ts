import { jsonDepth, MAX_JSON_DEPTH, splitJsonArray } from './json-depth.ts';
import { UnparsedEvent } from './candidate.ts';

/** One event's JSON text as a candidate: parsed, or an `UnparsedEvent` (not JSON, or nested too deep) to be parked. */
export function parseEventText(text: string): unknown {
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) return tooDeep(text);
  try {
    return JSON.parse(text);
  } catch (error) {
    return new UnparsedEvent(text, (error as Error).message);
  }
}

/**
 * The events of a JSON array, for a batch with an element nested deeper than
 * MAX_JSON_DEPTH: that element comes back as an `UnparsedEvent` to be parked, its
 * neighbours are parsed by `parse` (default `JSON.parse`). Throws a SyntaxError
 * when the text is not a JSON array, or when an element that is not too deep
 * is not JSON.
 */
export function parseEventArray(text: string, parse: (text: string) => unknown = JSON.parse): unknown[] {
  const elements = splitJsonArray(text);
  const deep = new Map<number, UnparsedEvent>();
  elements.forEach((element, index) => {
    if (jsonDepth(element) > MAX_JSON_DEPTH) deep.set(index, tooDeep(element));
  });
  if (!deep.size) return parse(text) as unknown[];
  // The shallow elements are parsed as one array, so `parse` sees them as it would the whole body.
  const shallow = parse(`[${elements.filter((_, index) => !deep.has(index)).join(',')}]`) as unknown[];
  let next = 0;
  return elements.map((_, index) => deep.get(index) ?? shallow[next++]);
}

function tooDeep(text: string): UnparsedEvent {
  return new UnparsedEvent(text, `it nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`, 'EVENT_TOO_DEEP');
}
