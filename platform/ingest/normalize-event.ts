import { KNOWN_ATTRIBUTES, MAX_EVENT_DATA_BYTES, type CloudEvent } from '../../kernel/schemas/index.ts';
import type { SqlValue } from '../../kernel/warehouse/index.ts';
import { jsonDepth, MAX_JSON_DEPTH } from './json-depth.ts';
import { REJECTION_CODES } from './rejection-codes.ts';

const MIN_EVENT_TIME = Date.UTC(1970, 0, 1);
const MAX_EVENT_TIME = Date.UTC(2106, 0, 1);

/** An `events` row, in `EVENT_COLUMNS` order. */

export type Normalized = { ok: true; row: SqlValue[] } | { ok: false; code: 'EVENT_DATA_TOO_LARGE' | 'EVENT_TOO_DEEP' | 'EVENT_INVALID_TIME'; message: string };

/**
 * Turns a valid CloudEvent into an `events` row: known attributes into their
 * columns, `data` into JSON text, any other extension attributes into the
 * `extensions` JSON object. An event without `time` takes the receive time.
 */
export function normalizeEvent(event: CloudEvent, channel: string, receivedAt: Date): Normalized {
  let data: string | null = null;
  if (event.data !== undefined) {
    data = JSON.stringify(event.data);
    // UTF-8 is at most 3 bytes per UTF-16 unit, so short strings skip the exact count.
    const bytes = data.length * 3 <= MAX_EVENT_DATA_BYTES ? data.length : Buffer.byteLength(data);
    if (bytes > MAX_EVENT_DATA_BYTES) {
      return {
        ok: false,
        code: 'EVENT_DATA_TOO_LARGE',
        message: `The event's "data" is ${bytes} bytes; the limit is ${MAX_EVENT_DATA_BYTES} bytes.`,
      };
    }
    // Whatever channel the event came by (readers count depth before parsing; this is for every other caller).
    // Nesting that deep takes at least two brackets a level, so short data skips the count.
    if (data.length > 2 * MAX_JSON_DEPTH && jsonDepth(data, MAX_JSON_DEPTH - 1) > MAX_JSON_DEPTH - 1) return { ok: false, code: 'EVENT_TOO_DEEP', message: REJECTION_CODES.EVENT_TOO_DEEP };
  }
  const time = event.time === undefined ? receivedAt : new Date(event.time);
  // RFC 3339 allows a leap second (23:59:60), which names no instant; ClickHouse's DateTime
  // holds 1970 to 2106 and silently garbles anything outside, so every engine takes that range.
  if (!(time.getTime() >= MIN_EVENT_TIME && time.getTime() < MAX_EVENT_TIME)) {
    return { ok: false, code: 'EVENT_INVALID_TIME', message: `${REJECTION_CODES.EVENT_INVALID_TIME} ("${event.time}" is not an instant from 1970 to 2105 that the warehouse can store.)` };
  }
  return {
    ok: true,
    row: [
      event.tenantid,
      event.source,
      event.id,
      event.type,
      time,
      event.subject ?? null,
      event.policyversion,
      event.plan ?? null,
      event.feature ?? null,
      event.flowtype ?? null,
      event.slatier ?? null,
      event.datacontenttype ?? null,
      data,
      extensionsOf(event),
      channel,
      receivedAt,
    ],
  };
}

function extensionsOf(event: CloudEvent): string {
  let extensions: Record<string, unknown> | undefined;
  for (const key in event) {
    if (KNOWN_ATTRIBUTES.has(key)) continue;
    (extensions ??= {})[key] = (event as Record<string, unknown>)[key];
  }
  return extensions ? JSON.stringify(extensions) : '{}';
}
