import type { FromSchema } from 'json-schema-to-ts';

/** Largest serialized `data` member an event may carry, in bytes (UTF-8). */
export const MAX_EVENT_DATA_BYTES = 64 * 1024;

const attribute = { type: 'string', minLength: 1, maxLength: 256 } as const;

/**
 * A CloudEvents 1.0 event in structured JSON mode, with the CompanyOS extension
 * attributes. Extension names are lowercase letters and digits (CloudEvents
 * naming rule), so tenant and policy version travel as `tenantid` and
 * `policyversion`. `tenantid` and `policyversion` are required here: an event
 * without them is parked, never stored as valid.
 */
export const cloudEventSchema = {
  $id: 'CloudEvent',
  type: 'object',
  description: 'A CloudEvents 1.0 event (structured JSON) with CompanyOS extension attributes.',
  required: ['specversion', 'id', 'source', 'type', 'tenantid', 'policyversion'],
  properties: {
    specversion: { type: 'string', const: '1.0', description: 'CloudEvents version; always "1.0".' },
    id: { ...attribute, description: 'Producer-assigned id; (tenantid, source, id) is the dedupe key.' },
    source: { type: 'string', minLength: 1, maxLength: 1024, description: 'URI-reference of the producer.' },
    type: { ...attribute, description: 'Event type, e.g. "policy.decisions_total".' },
    time: { type: 'string', format: 'date-time', description: 'RFC 3339 time of the occurrence; defaults to the time it was received.' },
    subject: { type: 'string', maxLength: 1024 },
    datacontenttype: { type: 'string', maxLength: 256 },
    dataschema: { type: 'string', maxLength: 1024 },
    tenantid: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,127}$', description: 'Tenant the event belongs to.' },
    policyversion: { ...attribute, description: 'Version of the policy bundle the producer ran under.' },
    plan: { ...attribute },
    feature: { ...attribute },
    flowtype: { ...attribute },
    slatier: { ...attribute },
    data: { description: `Event payload; at most ${MAX_EVENT_DATA_BYTES} bytes serialized.` },
    data_base64: {
      type: 'string',
      // The same limit as `data`'s serialized size: 48 KiB of bytes, 64 KiB of base64.
      maxLength: MAX_EVENT_DATA_BYTES,
      pattern: '^[A-Za-z0-9+/]*={0,2}$',
      description: `Binary payload (not JSON), base64; at most ${MAX_EVENT_DATA_BYTES} characters. Never with \`data\`.`,
    },
  },
  propertyNames: {
    anyOf: [{ pattern: '^[a-z0-9]{1,64}$' }, { const: 'data_base64' }],
  },
  not: { required: ['data', 'data_base64'], properties: { data: {}, data_base64: {} } },
  additionalProperties: { type: ['string', 'number', 'boolean'] },
} as const;

export type CloudEvent = FromSchema<typeof cloudEventSchema>;

/**
 * The attributes CompanyOS stores in their own columns (or, `data`, as the data
 * column). Every other member, `dataschema` and `data_base64` included, is kept
 * in the `extensions` JSON object and read back from there.
 */
export const KNOWN_ATTRIBUTES = new Set([
  'specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'tenantid', 'policyversion',
  'plan', 'feature', 'flowtype', 'slatier', 'data',
]);
