import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { binaryModeEvent, mediaTypeOf, UnparsedEvent } from '../../platform/ingest/index.ts';
import { DomainError } from '../../kernel/errors/index.ts';

/**
 * How a request carries its events, per the CloudEvents HTTP binding (section 3):
 * a Content-Type prefixed `application/cloudevents-batch` is batched mode and
 * `application/cloudevents` structured mode (JSON only); otherwise `ce-` headers
 * mean binary mode (one event; the body is its data), and without them the
 * body is events as plain JSON or NDJSON (`plain`).
 */
export type HttpContentMode = 'binary' | 'structured' | 'batch' | 'plain';

export const STRUCTURED_TYPE = 'application/cloudevents+json';
export const BATCHED_TYPE = 'application/cloudevents-batch+json';
const NDJSON_TYPE = 'application/x-ndjson';

/** Any of the required attributes as a header means binary mode (a missing one is then the event's fault). */
const BINARY_MODE_HEADERS = ['ce-specversion', 'ce-id', 'ce-source', 'ce-type'];

/** The request's content mode; an event format or mode this server does not read is refused (415). */
export function httpContentMode(headers: IncomingHttpHeaders): HttpContentMode {
  const media = mediaTypeOf(headers['content-type']);
  const binaryHeaders = BINARY_MODE_HEADERS.some((name) => headers[name] !== undefined);
  if (media.startsWith('application/cloudevents-batch')) {
    if (media !== BATCHED_TYPE) throw unsupported(`Batched mode is read as ${BATCHED_TYPE}, not "${media}".`);
    if (binaryHeaders) throw unsupported('A batch cannot be sent in binary mode: ce- headers describe one event, a batch carries its events\' attributes in the body.');
    return 'batch';
  }
  if (media.startsWith('application/cloudevents')) {
    if (media !== STRUCTURED_TYPE) throw unsupported(`Structured mode is read as ${STRUCTURED_TYPE}, not "${media}".`);
    return 'structured';
  }
  return binaryHeaders ? 'binary' : 'plain';
}

export type JsonBodyParser = (request: FastifyRequest, body: string, done: (error: Error | null, body?: unknown) => void) => void;

/**
 * The one body parser of the events routes (registered in their own scope):
 * binary mode keeps the body as bytes, whatever its Content-Type; the JSON
 * types are parsed by `json` (the server's depth-limited JSON parser);
 * NDJSON is kept as text for the route to split line by line.
 */
export function registerEventBodyParser(scope: FastifyInstance, json: JsonBodyParser): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    let mode: HttpContentMode;
    try {
      mode = httpContentMode(request.headers);
    } catch (error) {
      return done(error as Error);
    }
    if (mode === 'binary') return done(null, body);
    const media = mediaTypeOf(request.headers['content-type']);
    if (media === NDJSON_TYPE) return done(null, body.toString('utf8'));
    if (mode !== 'plain' || media === 'application/json') return json(request, body.toString('utf8'), done);
    done(new DomainError('UNSUPPORTED_MEDIA_TYPE', `Got "${media || 'none'}".`));
  });
}

/**
 * The event of a binary-mode request: each `ce-<name>` header is attribute
 * `<name>` (value percent-decoded), Content-Type is `datacontenttype`, the
 * body is `data` (see platform/ingest/binary-mode.ts for how bytes become `data` or
 * `data_base64`). Validation is the pipeline's, as for any event.
 */
export function binaryModeRequestEvent(headers: IncomingHttpHeaders, body: unknown): Record<string, unknown> | UnparsedEvent {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || value === undefined) continue;
    attributes[name.slice(3)] = decodeHeaderValue(name, Array.isArray(value) ? value.join(',') : value);
  }
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  const contentType = headers['content-type'];
  const result = binaryModeEvent(attributes, contentType, bytes);
  if (result.ok) return result.event;
  // Parked with its reason, as a too-deep event of a batch is.
  if (result.code === 'EVENT_TOO_DEEP') return new UnparsedEvent(result.text, result.reason, result.code);
  throw new DomainError('BODY_NOT_JSON', `The event's data is declared ${mediaTypeOf(contentType)} but is not JSON: ${result.reason}.`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A ce- header value as the HTTP binding (3.1.3.2) says to read it: a
 * double-quoted string is unquoted, then one round of percent-decoding, and
 * the bytes must be UTF-8. A `%` not followed by two hex digits stays itself
 * (senders such as the `cloudevents` SDK do not encode), and raw non-ASCII
 * bytes are read as UTF-8 too.
 */
export function decodeHeaderValue(name: string, raw: string): string {
  let value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/gs, '$1');
  if (!/[%\u0080-\uffff]/.test(value)) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const hex = code === 0x25 ? value.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (code <= 0xff) {
      // Node hands header bytes over as Latin-1 characters: each is one byte.
      bytes.push(code);
    } else {
      const char = String.fromCodePoint(value.codePointAt(i)!);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw new DomainError('CLOUDEVENTS_HEADER_INVALID', `The ${name} header does not decode to UTF-8.`);
  }
}

function unsupported(message: string): DomainError {
  return new DomainError('CLOUDEVENTS_MODE_UNSUPPORTED', message);
}
