import type { IHeaders, KafkaMessage } from 'kafkajs';
import { binaryModeEvent, mediaTypeOf } from '../binary-mode.ts';
import { parseNdjsonLine } from '../ndjson.ts';
import { UnparsedEvent } from '../candidate.ts';

const STRUCTURED_TYPE = 'application/cloudevents+json';
/** Any of the required attributes as a header means binary mode (a missing one is then the event's fault). */
const BINARY_MODE_HEADERS = ['ce_specversion', 'ce_id', 'ce_source', 'ce_type'];

/**
 * One Kafka message as an event candidate, per the CloudEvents Kafka binding:
 * a `content-type` header prefixed `application/cloudevents` is structured
 * mode (JSON only: other formats and batches are EVENT_MODE_UNSUPPORTED);
 * otherwise `ce_` headers mean binary mode (each `ce_<name>` is attribute
 * `<name>`, `content-type` is `datacontenttype`, the value is `data`: see
 * ../binary-mode.ts); a message with neither is a structured JSON event, as
 * CompanyOS producers have always sent. Unreadable messages come back as
 * `UnparsedEvent`s, to be parked and dead-lettered with their reason.
 */
export function eventCandidateOf(message: Pick<KafkaMessage, 'value' | 'headers'>, maxBytes: number): unknown {
  const value = message.value ?? Buffer.alloc(0);
  if (value.length > maxBytes) {
    return new UnparsedEvent(value.toString('utf8'), `${value.length} bytes; the limit is ${maxBytes}`, 'EVENT_TOO_LARGE');
  }
  const headers = headerStrings(message.headers);
  const contentType = headers['content-type'];
  const media = mediaTypeOf(contentType);
  if (media.startsWith('application/cloudevents')) {
    if (media === STRUCTURED_TYPE) return parseNdjsonLine(value.toString('utf8'));
    return new UnparsedEvent(value.toString('utf8'), `content-type "${media}"`, 'EVENT_MODE_UNSUPPORTED');
  }
  if (!BINARY_MODE_HEADERS.some((name) => headers[name] !== undefined)) return parseNdjsonLine(value.toString('utf8'));

  const attributes: Record<string, string> = {};
  for (const [name, text] of Object.entries(headers)) if (name.startsWith('ce_')) attributes[name.slice(3)] = text;
  const result = binaryModeEvent(attributes, contentType, value);
  return result.ok ? result.event : new UnparsedEvent(result.text, result.reason, result.code);
}

/** `eventCandidateOf`, where a message that breaks reading is an `UnparsedEvent` like any refused one: it never holds the partition. */
export function kafkaCandidate(message: Pick<KafkaMessage, 'value' | 'headers'>, maxBytes: number): unknown {
  try {
    return eventCandidateOf(message, maxBytes);
  } catch (error) {
    return new UnparsedEvent(message.value?.toString('utf8') ?? '', (error as Error).message, 'EVENT_INVALID_ATTRIBUTE');
  }
}

/** Header values as UTF-8 text (the Kafka binding's encoding), names in lower case; absent values left out. */
export function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined || value === null) continue;
    strings[name.toLowerCase()] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return strings;
}
