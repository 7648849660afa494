import { MAX_JSON_DEPTH } from './json-depth.ts';

/**
 * Why an individual event was parked. Stable codes: clients and dashboards
 * match on them; the sentence is for people.
 */
export const REJECTION_CODES = {
  EVENT_NOT_JSON: 'The event is not valid JSON.',
  EVENT_TOO_LARGE: 'The message is larger than the ingest limit.',
  EVENT_TOO_DEEP: `The event nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays.`,
  EVENT_NOT_OBJECT: 'An event must be a JSON object.',
  EVENT_MISSING_SPECVERSION: 'The event has no "specversion"; CloudEvents 1.0 requires "specversion": "1.0".',
  EVENT_BAD_SPECVERSION: 'The event\'s "specversion" must be "1.0".',
  EVENT_MISSING_ID: 'The event has no "id"; every event needs a producer-assigned id.',
  EVENT_MISSING_SOURCE: 'The event has no "source"; every event needs the URI-reference of its producer.',
  EVENT_MISSING_TYPE: 'The event has no "type".',
  EVENT_MISSING_TENANT: 'The event has no "tenantid" extension attribute; every event belongs to a tenant.',
  EVENT_INVALID_TENANT: 'The event\'s "tenantid" must be lowercase letters, digits, ".", "_" or "-" (at most 128).',
  EVENT_MISSING_POLICY_VERSION: 'The event has no "policyversion" extension attribute.',
  EVENT_INVALID_TIME: 'The event\'s "time" is not an RFC 3339 timestamp with a time zone (e.g. 2026-11-22T10:00:00Z).',
  EVENT_DATA_TOO_LARGE: 'The event\'s "data" is larger than the limit.',
  EVENT_INVALID_ATTRIBUTE: 'An attribute of the event is not valid.',
  EVENT_NOT_STORABLE: 'The warehouse refused a value of the event (text it cannot read, a number out of its range).',
  EVENT_MODE_UNSUPPORTED: 'The message is in a CloudEvents content mode or event format that is not read here (binary mode, or structured application/cloudevents+json, one event per message).',
} as const;

export type RejectionCode = keyof typeof REJECTION_CODES;
