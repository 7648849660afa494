import { KNOWN_ATTRIBUTES, MAX_EVENT_DATA_BYTES, type CloudEvent } from '../schemas/index.ts';
import type { SqlValue } from '../warehouse/index.ts';

/** An `events` row, in `EVENT_COLUMNS` order. */

export type Normalized = { ok: true; row: SqlValue[] } | { ok: false; code: 'EVENT_DATA_TOO_LARGE'; message: string };

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
  }
  return {
    ok: true,
    row: [
      event.tenantid,
      event.source,
      event.id,
      event.type,
      event.time === undefined ? receivedAt : new Date(event.time),
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
