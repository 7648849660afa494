import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../../kernel/errors/index.ts';
import { checkEntityInput, type Entity } from '../../../platform/governance/index.ts';
import { versionConflict } from '../../../platform/governance/index.ts';

/** What a PATCH body may carry: the changeable fields, and the version it was based on. */
export interface EntityPatch {
  name?: string;
  data_class?: string;
  region?: string;
  attributes?: Record<string, unknown>;
  version?: number;
  id?: string;
  type?: string;
  tenant?: string;
}

const VERSION = /^(?:W\/)?"?(\d{1,15})"?$/;

/**
 * The version a PATCH or DELETE was based on: `If-Match: "<version>"` (as the ETag of a read) or a
 * `version` field in the body; undefined when the client sent neither (or `If-Match: *`), and then
 * the write applies to whatever version is current when its turn comes.
 */
export function expectedVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  let fromHeader: number | undefined;
  if (typeof header === 'string' && header.trim() !== '*') {
    const match = VERSION.exec(header.trim());
    if (!match) throw new DomainError('ENTITY_INVALID', `If-Match must be an entity version such as "3" (the ETag of a read); got ${JSON.stringify(header)}.`);
    fromHeader = Number(match[1]);
  }
  const body = request.body as { version?: unknown } | undefined;
  const inBody = body && typeof body === 'object' ? body.version : undefined;
  if (inBody !== undefined && (!Number.isSafeInteger(inBody) || (inBody as number) < 1)) throw new DomainError('ENTITY_INVALID', 'body.version must be a positive integer.');
  if (fromHeader !== undefined && inBody !== undefined && fromHeader !== inBody) {
    throw new DomainError('ENTITY_INVALID', `If-Match (${fromHeader}) and body.version (${String(inBody)}) disagree.`);
  }
  return fromHeader ?? (inBody as number | undefined);
}

/** Refuses a write based on another version than the current one (409 with `current_version`). */
export function checkVersion(current: Entity, expected: number | undefined): void {
  if (expected !== undefined && expected !== current.version) throw versionConflict(current);
}

/** The state a PATCH would leave: the current one with the body's changes; id, type and tenant stay what they are. */
export function planPatch(current: Entity, body: unknown): Omit<Entity, 'version' | 'updated_at'> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new DomainError('ENTITY_INVALID', 'body must be an object.');
  const patch = body as EntityPatch;
  for (const field of ['id', 'type', 'tenant'] as const) {
    if (patch[field] !== undefined && patch[field] !== current[field]) {
      throw new DomainError('ENTITY_FIELD_IMMUTABLE', `body.${field} is ${JSON.stringify(patch[field])}, but ${current.id}'s ${field} is ${JSON.stringify(current[field])}.`);
    }
  }
  const { name, data_class, region, attributes } = { ...current, ...patch };
  const checked = checkEntityInput({ id: current.id, type: current.type, name, data_class, region, attributes }, 'body');
  return { ...current, name: checked.name, data_class: checked.data_class!, region: checked.region!, attributes: checked.attributes ?? {} };
}

/** Whether a write would change nothing a reader can see. */
export function sameState(a: Omit<Entity, 'version' | 'updated_at'>, b: Omit<Entity, 'version' | 'updated_at'>): boolean {
  return a.name === b.name && a.data_class === b.data_class && a.region === b.region && JSON.stringify(a.attributes) === JSON.stringify(b.attributes);
}
