import { timeOrderedId } from '../../../kernel/ids/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { StateRow, StateStore, StateTransaction } from '../../../kernel/state/index.ts';
import { matches, type Filter } from './scim-filter.ts';
import { applyPatch, type PatchOperation, type ScimResource } from './scim-patch.ts';

export type ScimKind = 'User' | 'Group';

/** A stored resource: its JSON (without `meta`), its version (the ETag's number) and times. */
export interface StoredResource {
  id: string;
  kind: ScimKind;
  resource: ScimResource;
  version: number;
  created: Date;
  updated: Date;
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const KINDS = {
  // A deleted person's row stays (their provider tokens must keep failing), out of every read.
  User: { table: 'scim_users', id: 'user_id', schema: USER_SCHEMA, live: ' AND deleted = 0' },
  Group: { table: 'scim_groups', id: 'group_id', schema: GROUP_SCHEMA, live: '' },
} as const;

/** How often a write that lost a race to another writer (no If-Match given) is tried again. */
const WRITE_ATTEMPTS = 100;

/** More work in a write's own transaction (the API's receipt of it): both commit, or neither. */
export type AlsoInWrite = (tx: StateTransaction, written: ScimResource) => Promise<void>;

type Row = { resource: string; version: number; created_at: Date; updated_at: Date; user_id?: string; group_id?: string };

/**
 * A tenant's SCIM directory on the state store. Every write is a compare-and-set on the resource's
 * version: with `If-Match` a stale version is refused (412); without, a write that lost a race is applied
 * again to what won, so concurrent PATCHes of a group all land. A person made inactive or deleted is
 * handed to `deprovisioned` (their sessions end, their tokens stop working).
 */
export class ScimDirectory {
  constructor(
    private readonly state: StateStore,
    private readonly deprovisioned: (tenant: string, user: ScimResource) => Promise<void>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(tenant: string, kind: ScimKind, body: unknown, also?: AlsoInWrite): Promise<StoredResource> {
    const id = timeOrderedId();
    const resource = await this.checked(tenant, kind, { ...object(body), id });
    const at = this.now();
    try {
      await this.state.transaction(async (tx) => {
        await tx.insert(KINDS[kind].table, [{ tenant_id: tenant, [KINDS[kind].id]: id, ...derived(kind, resource), resource: JSON.stringify(resource), version: 1, created_at: at, updated_at: at }]);
        await also?.(tx, resource);
      });
    } catch (error) {
      throw conflictOf(error, kind, resource);
    }
    return { id, kind, resource, version: 1, created: at, updated: at };
  }

  async get(tenant: string, kind: ScimKind, id: string): Promise<StoredResource> {
    const found = await this.find(tenant, kind, id);
    if (!found) throw new DomainError('SCIM_NOT_FOUND', `There is no ${kind} ${id}.`);
    return found;
  }

  /** The resources `filter` selects, in creation order: `count` of them from the 1-based `startIndex`, and how many there are. */
  async list(tenant: string, kind: ScimKind, filter: Filter | undefined, startIndex: number, count: number): Promise<{ total: number; items: StoredResource[] }> {
    const rows = await this.state.query<Row>(`SELECT * FROM ${KINDS[kind].table} WHERE tenant_id = ?${KINDS[kind].live} ORDER BY created_at, ${KINDS[kind].id}`, [tenant]);
    const all = rows.map((row) => stored(kind, row)).filter((item) => !filter || matches(item.resource, filter));
    return { total: all.length, items: all.slice(Math.max(0, startIndex - 1), Math.max(0, startIndex - 1) + Math.max(0, count)) };
  }

  replace(tenant: string, kind: ScimKind, id: string, body: unknown, ifMatch?: string, also?: AlsoInWrite): Promise<StoredResource> {
    return this.write(tenant, kind, id, ifMatch, also, (current) => ({ ...object(body), id, ...(current.schemas && !object(body).schemas ? { schemas: current.schemas } : {}) }));
  }

  patch(tenant: string, kind: ScimKind, id: string, body: unknown, ifMatch?: string, also?: AlsoInWrite): Promise<StoredResource> {
    const request = object(body);
    if (!Array.isArray(request.Operations)) throw new DomainError('SCIM_INVALID_PATCH', 'A PATCH carries its operations in "Operations".');
    return this.write(tenant, kind, id, ifMatch, also, (current) => applyPatch(current, request.Operations as PatchOperation[]));
  }

  async delete(tenant: string, kind: ScimKind, id: string, ifMatch?: string, also?: AlsoInWrite): Promise<void> {
    const current = await this.get(tenant, kind, id);
    if (ifMatch !== undefined && !etagMatches(ifMatch, current.version)) throw new DomainError('SCIM_VERSION_MISMATCH');
    await this.state.transaction(async (tx) => {
      const where = { tenant_id: tenant, [KINDS[kind].id]: id };
      // A person's row is kept as a tombstone whose userName is free for someone new.
      const gone = kind === 'User'
        ? await tx.compareAndSet('scim_users', where, { version: current.version, deleted: 0 }, { deleted: 1, active: 0, user_name_key: `${String(current.resource.userName).toLowerCase()}#deleted:${id}`, version: current.version + 1, updated_at: this.now() })
        : (await tx.delete('scim_groups', { ...where, version: current.version })) > 0;
      if (!gone) throw new DomainError('SCIM_NOT_FOUND', `There is no ${kind} ${id} (or it changed while being deleted).`);
      await also?.(tx, { id, deleted: true });
    });
    if (kind === 'User') {
      await this.deprovisioned(tenant, current.resource);
      await this.dropMember(tenant, id);
    }
  }

  /**
   * Whether `tenant`'s directory has deprovisioned the person one of `keys` names (userName or externalId):
   * they are there only inactive or deleted. Someone the directory does not know is not deprovisioned.
   */
  async isDeprovisioned(tenant: string, keys: readonly string[]): Promise<boolean> {
    for (const key of keys) {
      const rows = await this.state.query<{ active: number | boolean; deleted: number | boolean }>(
        `SELECT active, deleted FROM scim_users WHERE tenant_id = ? AND (user_name_key = ? OR user_name_key LIKE ? ESCAPE '\\' OR external_id = ?)`,
        [tenant, key.toLowerCase(), `${key.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}#deleted:%`, key],
      );
      if (rows.length && !rows.some((row) => Number(row.active) && !Number(row.deleted))) return true;
    }
    return false;
  }

  private async write(tenant: string, kind: ScimKind, id: string, ifMatch: string | undefined, also: AlsoInWrite | undefined, change: (current: ScimResource) => ScimResource): Promise<StoredResource> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const current = await this.get(tenant, kind, id);
      if (ifMatch !== undefined && !etagMatches(ifMatch, current.version)) throw new DomainError('SCIM_VERSION_MISMATCH');
      const resource = await this.checked(tenant, kind, { ...change(structuredClone(current.resource)), id }, current.resource);
      const at = this.now();
      let won: boolean;
      try {
        won = await this.state.transaction(async (tx) => {
          const set = await tx.compareAndSet(KINDS[kind].table, { tenant_id: tenant, [KINDS[kind].id]: id }, { version: current.version }, {
            ...derived(kind, resource), resource: JSON.stringify(resource), version: current.version + 1, updated_at: at,
          });
          if (set) await also?.(tx, resource);
          return set;
        });
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'STATE_CONFLICT')) throw error;
        // Another writer's commit (try again), unless the new userName is another person's.
        if (kind === 'User' && (await this.userNameTaken(tenant, String(resource.userName), id))) throw conflictOf(error, kind, resource);
        won = false;
      }
      if (won) {
        if (kind === 'User' && current.resource.active !== false && resource.active === false) await this.deprovisioned(tenant, resource);
        return { id, kind, resource, version: current.version + 1, created: current.created, updated: at };
      }
      if (ifMatch !== undefined) throw new DomainError('SCIM_VERSION_MISMATCH');
    }
    throw new DomainError('STATE_CONFLICT', `The ${kind} ${id} kept changing under ${WRITE_ATTEMPTS} tries; try again.`);
  }

  private async userNameTaken(tenant: string, userName: string, by: string): Promise<boolean> {
    const rows = await this.state.query<{ user_id: string }>('SELECT user_id FROM scim_users WHERE tenant_id = ? AND user_name_key = ?', [tenant, userName.toLowerCase()]);
    return rows.some((row) => row.user_id !== by);
  }

  private async find(tenant: string, kind: ScimKind, id: string): Promise<StoredResource | undefined> {
    const [row] = await this.state.query<Row>(`SELECT * FROM ${KINDS[kind].table} WHERE tenant_id = ? AND ${KINDS[kind].id} = ?${KINDS[kind].live}`, [tenant, id]);
    return row ? stored(kind, row) : undefined;
  }

  /** The resource as stored: required attributes there, `active` a boolean, group members people of this tenant. */
  private async checked(tenant: string, kind: ScimKind, resource: ScimResource, previous?: ScimResource): Promise<ScimResource> {
    delete resource.meta;
    if (!Array.isArray(resource.schemas) || !resource.schemas.length) resource.schemas = [KINDS[kind].schema];
    if (kind === 'User') {
      if (typeof resource.userName !== 'string' || !resource.userName.trim()) throw new DomainError('SCIM_INVALID_VALUE', 'A User needs a userName.');
      resource.active = booleanOf(resource.active ?? true);
      return resource;
    }
    if (typeof resource.displayName !== 'string' || !resource.displayName.trim()) throw new DomainError('SCIM_INVALID_VALUE', 'A Group needs a displayName.');
    const members = resource.members ?? [];
    if (!Array.isArray(members)) throw new DomainError('SCIM_INVALID_VALUE', 'members is a list of {"value": "<user id>"}.');
    // Members the group already had were checked when they were added (a deleted person leaves every group).
    const had = new Set(Array.isArray(previous?.members) ? (previous.members as ScimResource[]).map((member) => member?.value) : []);
    for (const member of members) {
      const value = (member as ScimResource)?.value;
      if (had.has(value)) continue;
      if (typeof value !== 'string' || !(await this.find(tenant, 'User', value))) {
        throw new DomainError('SCIM_INVALID_VALUE', `The member ${String(value)} is not a User of this directory.`);
      }
    }
    resource.members = members;
    return resource;
  }

  /** A deleted person leaves every group. */
  private async dropMember(tenant: string, userId: string): Promise<void> {
    const { items } = await this.list(tenant, 'Group', [{ path: 'members.value', op: 'eq', value: userId }], 1, Number.MAX_SAFE_INTEGER);
    for (const group of items) {
      await this.write(tenant, 'Group', group.id, undefined, undefined, (current) => ({
        ...current, members: (current.members as ScimResource[]).filter((member) => member.value !== userId),
      }));
    }
  }
}

/** `W/"3"` (or `"3"`, or `*`) names version 3. */
export function etag(version: number): string {
  return `W/"${version}"`;
}

function etagMatches(header: string, version: number): boolean {
  return header.split(',').some((tag) => tag.trim() === '*' || tag.trim().replace(/^W\//, '') === `"${version}"`);
}

function stored(kind: ScimKind, row: Row): StoredResource {
  return {
    id: String(kind === 'User' ? row.user_id : row.group_id), kind, resource: JSON.parse(String(row.resource)) as ScimResource,
    version: Number(row.version), created: new Date(row.created_at), updated: new Date(row.updated_at),
  };
}

function derived(kind: ScimKind, resource: ScimResource): StateRow {
  if (kind === 'Group') return { display_name: String(resource.displayName) };
  return { user_name_key: String(resource.userName).toLowerCase(), external_id: typeof resource.externalId === 'string' ? resource.externalId : '', active: resource.active === false ? 0 : 1, deleted: 0 };
}

function object(body: unknown): ScimResource {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new DomainError('SCIM_INVALID_VALUE', 'The body is a JSON object.');
  return body as ScimResource;
}

/** Entra sends `"active": "False"` in PATCHes. */
function booleanOf(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new DomainError('SCIM_INVALID_VALUE', 'active is true or false.');
}

function conflictOf(error: unknown, kind: ScimKind, resource: ScimResource): unknown {
  if (error instanceof DomainError && error.code === 'STATE_CONFLICT' && kind === 'User') {
    return new DomainError('SCIM_USER_EXISTS', `userName ${String(resource.userName)} is taken.`);
  }
  return error;
}
