/**
 * How deep JSON may nest (objects and arrays, the outermost counting 1), for one
 * request body or one event. Deeper JSON is refused before anything recursive
 * (parsing hooks, schema validation, serialization) touches it.
 */
export const MAX_JSON_DEPTH = 64;
