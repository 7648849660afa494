import { jsonDepth, MAX_JSON_DEPTH } from './json-depth.ts';

/**
 * CloudEvents binary content mode, shared by the HTTP and Kafka bindings: the
 * attributes travel as headers, the message body is `data` as bytes and the
 * Content-Type is `datacontenttype`. This turns such a message into the event
 * the structured JSON format would carry, so that both modes are stored and
 * read back the same:
 *
 * - JSON data (`application/json`, `text/json`, any `+json`): the JSON value in
 *   `data`. A body that is not JSON and does not begin with `{`, `[` or `"` is
 *   the string itself (the `cloudevents` SDK sends string data that way).
 * - Text (`text/*`, `application/xml`, any `+xml`) in UTF-8 or US-ASCII: the
 *   string in `data`.
 * - Anything else, text in another charset, and a body with no Content-Type:
 *   the bytes, base64-encoded, in `data_base64`.
 * - An empty body: no data.
 *
 * Header values are strings, so extension attributes arrive as strings.
 */

export type BinaryModeEvent =
  | { ok: true; event: Record<string, unknown> }
  | { ok: false; code: 'EVENT_NOT_JSON' | 'EVENT_TOO_DEEP'; reason: string; text: string };

/** Attributes that the headers never set: the body and Content-Type carry them. */
const NOT_FROM_HEADERS = new Set(['data', 'data_base64', 'datacontenttype']);

// ignoreBOM keeps a byte-order mark in the string: the bytes read back as they came.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The event of a binary-mode message: `attributes` are the decoded header
 * values by attribute name (prefix removed), `contentType` the message's
 * Content-Type, `body` its bytes.
 */
export function binaryModeEvent(attributes: Record<string, string>, contentType: string | undefined, body: Uint8Array): BinaryModeEvent {
  const event: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes)) if (!NOT_FROM_HEADERS.has(name)) event[name] = value;
  const type = contentType?.trim();
  if (type) event.datacontenttype = type;
  if (body.length === 0) return { ok: true, event };

  const media = mediaTypeOf(type);
  if (isJsonMediaType(media)) {
    const text = decodeUtf8(body);
    if (text === undefined) return { ok: false, code: 'EVENT_NOT_JSON', reason: 'the data is not UTF-8', text: Buffer.from(body).toString('utf8') };
    // The data sits one level inside the event.
    if (jsonDepth(text, MAX_JSON_DEPTH) >= MAX_JSON_DEPTH) {
      return { ok: false, code: 'EVENT_TOO_DEEP', reason: `its data nests ${MAX_JSON_DEPTH} or more levels deep`, text };
    }
    try {
      event.data = JSON.parse(text);
    } catch (error) {
      if (/^\s*[[{"]/.test(text)) return { ok: false, code: 'EVENT_NOT_JSON', reason: (error as Error).message, text };
      event.data = text;
    }
    return { ok: true, event };
  }
  const text = isTextMediaType(media) && isUtf8Charset(type!) ? decodeUtf8(body) : undefined;
  if (text !== undefined) event.data = text;
  else event.data_base64 = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
  return { ok: true, event };
}

/** The media type of a Content-Type value: lower case, without parameters ('' when absent). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** JSON per the CloudEvents JSON format: application/json, text/json, or a `+json` structured suffix. */
export function isJsonMediaType(media: string): boolean {
  return media === 'application/json' || media === 'text/json' || media.endsWith('+json');
}

function isTextMediaType(media: string): boolean {
  return media.startsWith('text/') || media === 'application/xml' || media.endsWith('+xml');
}

function isUtf8Charset(contentType: string): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii';
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
