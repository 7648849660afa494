import { DomainError } from '../../../kernel/errors/index.ts';

export const ENTITY_TYPES = ['Person', 'Company', 'Asset', 'Workflow', 'Policy', 'Tenant', 'Invoice', 'Runbook', 'Incident'] as const;
export const EDGE_TYPES = ['OWNS', 'MEMBER_OF', 'ENTITLED_TO', 'TRIGGERS', 'EMITS', 'GOVERNS', 'BILLS_TO'] as const;
export const DATA_CLASSES = ['public', 'internal', 'confidential', 'restricted'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
export type EdgeType = (typeof EDGE_TYPES)[number];

export interface Entity {
  id: string;
  tenant: string;
  type: EntityType;
  name: string;
  data_class: string;
  region: string;
  attributes: Record<string, unknown>;
  version: number;
  updated_at: string;
}

export interface Edge {
  id: string;
  tenant: string;
  type: EdgeType;
  from: string;
  to: string;
  attributes: Record<string, unknown>;
}

export interface EntityInput {
  id?: string;
  type: EntityType;
  name: string;
  data_class?: string;
  region?: string;
  attributes?: Record<string, unknown>;
}

export interface EdgeInput {
  type: EdgeType;
  from: string;
  to: string;
  attributes?: Record<string, unknown>;
}

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const MAX_ATTRIBUTE_BYTES = 16 * 1024;

/** Checks one entity of a request; the error names where (`entities[3].type`) and what is wrong. */
export function checkEntityInput(value: unknown, where: string): EntityInput {
  const input = value as Partial<EntityInput> | null;
  const fail = (field: string, problem: string) => new DomainError('ENTITY_INVALID', `${where}.${field} ${problem}.`);
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new DomainError('ENTITY_INVALID', `${where} must be an object.`);
  if (input.id !== undefined && (typeof input.id !== 'string' || !ID_PATTERN.test(input.id))) throw fail('id', 'must be 1–128 letters, digits, ".", "_", ":" or "-"');
  if (!ENTITY_TYPES.includes(input.type as EntityType)) throw fail('type', `must be one of ${ENTITY_TYPES.join(', ')}`);
  if (typeof input.name !== 'string' || input.name.length === 0 || input.name.length > 500) throw fail('name', 'must be a string of 1–500 characters');
  if (input.data_class !== undefined && !DATA_CLASSES.includes(input.data_class as never)) throw fail('data_class', `must be one of ${DATA_CLASSES.join(', ')}`);
  if (input.region !== undefined && (typeof input.region !== 'string' || !ID_PATTERN.test(input.region))) throw fail('region', 'must be a region name like eu-west-1');
  checkAttributes(input.attributes, fail);
  return input as EntityInput;
}

export function checkEdgeInput(value: unknown, where: string): EdgeInput {
  const input = value as Partial<EdgeInput> | null;
  const fail = (field: string, problem: string) => new DomainError('EDGE_INVALID', `${where}.${field} ${problem}.`);
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new DomainError('EDGE_INVALID', `${where} must be an object.`);
  if (!EDGE_TYPES.includes(input.type as EdgeType)) throw fail('type', `must be one of ${EDGE_TYPES.join(', ')}`);
  for (const end of ['from', 'to'] as const) {
    if (typeof input[end] !== 'string' || !ID_PATTERN.test(input[end])) throw fail(end, 'must be an entity id');
  }
  checkAttributes(input.attributes, fail);
  return input as EdgeInput;
}

function checkAttributes(attributes: unknown, fail: (field: string, problem: string) => DomainError): void {
  if (attributes === undefined) return;
  if (!attributes || typeof attributes !== 'object' || Array.isArray(attributes)) throw fail('attributes', 'must be an object');
  if (Buffer.byteLength(JSON.stringify(attributes)) > MAX_ATTRIBUTE_BYTES) throw fail('attributes', `must be at most ${MAX_ATTRIBUTE_BYTES} bytes as JSON`);
}
