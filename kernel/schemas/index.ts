export { cloudEventSchema, MAX_EVENT_DATA_BYTES, KNOWN_ATTRIBUTES } from './cloudevent.ts';
export type { CloudEvent } from './cloudevent.ts';
export { MAX_JSON_DEPTH } from './json-limits.ts';
