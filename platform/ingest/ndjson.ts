import { parseEventText } from './event-json.ts';
import { UnparsedEvent } from './candidate.ts';

/** One NDJSON line as an event candidate: parsed JSON, or an `UnparsedEvent` (not JSON, nested too deep) to be parked. */
export const parseNdjsonLine = parseEventText;

/** Every non-blank line of an NDJSON text, in order (CRLF or LF line ends). */
export function parseNdjson(text: string): unknown[] {
  const events: unknown[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed.trim() !== '') events.push(parseNdjsonLine(trimmed));
  }
  return events;
}

/** The inverse, for sending a batch read from a file: unparsed lines travel as they were. */
export function toNdjson(events: readonly unknown[]): string {
  return events.map((e) => (e instanceof UnparsedEvent ? e.raw : JSON.stringify(e))).join('\n');
}
