import { DATA_CLASSES, EDGE_TYPES, ENTITY_TYPES } from '../../../platform/governance/index.ts';
import { receiptIdHeader, receiptIdSchema } from '../../../surfaces/http/kit/index.ts';

/** JSON Schemas of the entity graph as it goes over the wire: they validate requests, serialize replies and feed /openapi.json. */

const ID = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

export const entityIdSchema = { type: 'string', pattern: ID, maxLength: 128, description: 'An entity id: 1–128 letters, digits, ".", "_", ":" or "-", the tenant\'s own.' } as const;

/** `:id` of the routes on one entity. */
export const entityIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 128, description: "The entity's id in the caller's tenant." } },
} as const;

const attributesSchema = {
  type: 'object',
  additionalProperties: true,
  description: 'Free-form attributes, the caller\'s own (at most 16 KiB as JSON).',
} as const;

const dataClassSchema = { type: 'string', enum: [...DATA_CLASSES], description: 'How sensitive the entity is; the policy engine decides on it.' } as const;
const regionSchema = { type: 'string', pattern: ID, maxLength: 128, description: 'Where the entity lives, e.g. `eu-west-1`.' } as const;

/** An entity as answered: its latest version. */
export const entitySchema = {
  type: 'object',
  required: ['id', 'tenant', 'type', 'name', 'data_class', 'region', 'attributes', 'version', 'updated_at'],
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    type: { type: 'string', enum: [...ENTITY_TYPES] },
    name: { type: 'string' },
    data_class: dataClassSchema,
    region: { type: 'string' },
    attributes: attributesSchema,
    version: { type: 'integer', minimum: 1, description: 'Grows by one per change; the ETag of a read, for If-Match.' },
    updated_at: { type: 'string', format: 'date-time', description: 'When this version was written.' },
  },
} as const;

/** An edge as answered. */
export const edgeSchema = {
  type: 'object',
  required: ['id', 'tenant', 'type', 'from', 'to', 'attributes'],
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    type: { type: 'string', enum: [...EDGE_TYPES] },
    from: { type: 'string', description: 'The id of the entity the edge starts at.' },
    to: { type: 'string', description: 'The id of the entity the edge points to.' },
    attributes: { type: 'object', additionalProperties: true, description: 'Free-form attributes; an ENTITLED_TO edge holds `entitlement` and, when given, `expires_at`.' },
  },
} as const;

/** A response body with the receipt of the action that produced it. */
export function withReceipt<S extends { required: readonly string[]; properties: object }>(schema: S, description: string) {
  return {
    ...schema,
    description,
    headers: receiptIdHeader,
    required: [...schema.required, 'receipt_id'],
    properties: { ...schema.properties, receipt_id: receiptIdSchema },
  } as const;
}

/** One entity to create (POST /v1/entities, and each of a batch). */
export const entityInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'name'],
  properties: {
    id: { ...entityIdSchema, description: 'The id to give it; a UUID when absent. Taken ids (deleted ones included) answer 409 ENTITY_EXISTS.' },
    type: { type: 'string', enum: [...ENTITY_TYPES] },
    name: { type: 'string', minLength: 1, maxLength: 500 },
    data_class: { ...dataClassSchema, description: 'How sensitive it is; `internal` when absent.' },
    region: { ...regionSchema, description: "Where it lives; the server's region when absent." },
    attributes: attributesSchema,
  },
} as const;

/** One edge to create (POST /v1/edges, and each of a batch). */
export const edgeInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'from', 'to'],
  properties: {
    type: { type: 'string', enum: [...EDGE_TYPES] },
    from: { ...entityIdSchema, description: 'The entity the edge starts at (the tenant\'s, live).' },
    to: { ...entityIdSchema, description: 'The entity the edge points to (the tenant\'s, live).' },
    attributes: attributesSchema,
  },
} as const;

/** What a PATCH may change, and what it may send back unchanged. */
export const entityPatchSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 500 },
    data_class: dataClassSchema,
    region: regionSchema,
    attributes: { ...attributesSchema, description: 'Replaces the attributes as a whole (at most 16 KiB as JSON).' },
    version: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The version the change is based on, as `If-Match` says it (they must agree when both are sent).' },
    id: { type: 'string', maxLength: 128, description: "Only the entity's own: an id cannot change (400 ENTITY_FIELD_IMMUTABLE)." },
    type: { type: 'string', maxLength: 128, description: "Only the entity's own: a type cannot change (400 ENTITY_FIELD_IMMUTABLE)." },
    tenant: { type: 'string', maxLength: 128, description: "Only the entity's own: a tenant cannot change (400 ENTITY_FIELD_IMMUTABLE)." },
  },
  examples: [{ name: 'db-replica-3', data_class: 'confidential', attributes: { rack: 'r7' } }],
} as const;

/** The version a write is based on, in its HTTP spelling. */
export const ifMatchHeaders = {
  type: 'object',
  properties: {
    'if-match': { type: 'string', description: 'The version the write is based on, as a read\'s ETag gives it (`"3"`); a stale one answers 409 ENTITY_VERSION_CONFLICT. `*` or none: the current version.' },
  },
} as const;

export const etagHeader = { etag: { type: 'string', description: 'The entity\'s version, quoted (`"3"`): send it back as If-Match.' } } as const;

/** A lineage walk as answered. */
export const lineageSchema = {
  type: 'object',
  description: 'The entities within `depth` hops of the root that the caller may read, each at its distance, and the edges between them.',
  required: ['root', 'depth', 'direction', 'nodes', 'edges', 'truncated'],
  properties: {
    root: { type: 'string', description: 'The id the walk started from.' },
    depth: { type: 'integer' },
    direction: { type: 'string', enum: ['out', 'in', 'both'] },
    nodes: {
      type: 'array',
      items: {
        ...entitySchema,
        required: [...entitySchema.required, 'distance'],
        properties: { ...entitySchema.properties, distance: { type: 'integer', minimum: 0, description: 'Hops from the root (0: the root).' } },
      },
    },
    edges: { type: 'array', items: edgeSchema },
    truncated: { type: 'boolean', description: 'The walk stopped at its node limit (10,000) before reaching `depth` everywhere.' },
  },
} as const;
