import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseEventArray } from './event-json.ts';
import { jsonDepth, MAX_JSON_DEPTH } from './json-depth.ts';
import { parseNdjsonLine } from './ndjson.ts';

export interface EventFileBatch {
  /** Parsed events, or `UnparsedEvent` for NDJSON lines that are not JSON. */
  events: unknown[];
  /** 1-based line of each event in the file (NDJSON), or its array position + 1 (JSON array). */
  lines: number[];
  bytesRead: number;
  totalBytes: number;
}

/** The file is neither NDJSON nor a JSON array of events. */
export class EventFileError extends Error {
  override readonly name = 'EventFileError';
}

/**
 * Reads events from a file in batches: NDJSON (one event per line, streamed)
 * or a JSON array (the file starts with `[`). Blank lines are skipped; a line
 * that is not JSON, or an event nested deeper than MAX_JSON_DEPTH, comes back
 * as an `UnparsedEvent` so it can be parked.
 */
export async function* readEventFile(path: string, batchSize = 1000): AsyncGenerator<EventFileBatch> {
  const totalBytes = (await stat(path)).size;
  const head = await firstCharacter(path);
  if (head === '[') {
    yield* readJsonArray(path, batchSize, totalBytes);
    return;
  }
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let batch: EventFileBatch = { events: [], lines: [], bytesRead: 0, totalBytes };
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    batch.events.push(parseNdjsonLine(line));
    batch.lines.push(lineNumber);
    if (batch.events.length >= batchSize) {
      batch.bytesRead = stream.bytesRead;
      yield batch;
      batch = { events: [], lines: [], bytesRead: 0, totalBytes };
    }
  }
  if (batch.events.length) yield { ...batch, bytesRead: totalBytes };
}

async function* readJsonArray(path: string, batchSize: number, totalBytes: number): AsyncGenerator<EventFileBatch> {
  let events: unknown;
  try {
    const text = await readFile(path, 'utf8');
    // An array one level deeper than an event may hold: every element is within the limit.
    events = jsonDepth(text, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH + 1 ? parseEventArray(text) : JSON.parse(text);
  } catch (error) {
    throw new EventFileError(`${path}: not a valid JSON array (${(error as Error).message})`);
  }
  if (!Array.isArray(events)) throw new EventFileError(`${path}: expected a JSON array of events`);
  for (let start = 0; start < events.length; start += batchSize) {
    const slice = events.slice(start, start + batchSize);
    yield {
      events: slice,
      lines: slice.map((_, i) => start + i + 1),
      bytesRead: Math.round((totalBytes * (start + slice.length)) / events.length),
      totalBytes,
    };
  }
}

async function firstCharacter(path: string): Promise<string | undefined> {
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 4096 })) {
    const trimmed = (chunk as string).trimStart();
    if (trimmed) return trimmed[0];
  }
  return undefined;
}
