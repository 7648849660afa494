import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../kernel/errors/index.ts';
import type { StateStore, StateTransaction } from '../../kernel/state/index.ts';
import type { TableDefinition } from '../../kernel/warehouse/index.ts';
import type { Principal, Role } from './auth.ts';

/** What a machine credential may do: read (GET), ingest (POST /v1/events), or ingest as a connector for named tenants. */
export const API_KEY_SCOPES = ['read', 'ingest', 'connector'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const ROLE_OF_SCOPE: Record<ApiKeyScope, Role> = { read: 'reader', ingest: 'writer', connector: 'connector' };

/** Every key starts with this, so a key is told from a JWT (and found by secret scanners). */
export const API_KEY_PREFIX = 'cosk_';

export const API_KEYS_TABLE: TableDefinition = {
  name: 'api_keys',
  owner: 'platform/identity',
  tenantColumn: 'tenant_id',
  retention: 'operational',
  key: ['tenant_id', 'key_id'],
  clickhouse: { engine: 'MergeTree' },
  state: { unique: [['key_id']], checks: ['expires_at > created_at'], onlyInStateStore: true },
  columns: [
    { name: 'tenant_id', type: 'text' },
    { name: 'key_id', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'scopes', type: 'json' },
    /** A connector key's tenants: the only ones its events may be for (besides its own). */
    { name: 'tenants', type: 'json' },
    { name: 'created_by', type: 'text' },
    /** SHA-256 of the secret: the store never holds a key. */
    { name: 'secret_hash', type: 'text' },
    /** The secret before the last rotation, accepted until `previous_until` (the overlap). */
    { name: 'previous_hash', type: 'text' },
    { name: 'previous_until', type: 'timestamp' },
    { name: 'created_at', type: 'timestamp' },
    { name: 'expires_at', type: 'timestamp' },
    /** `active` or `revoked`. */
    { name: 'status', type: 'text' },
    { name: 'version', type: 'bigint' },
  ],
};

export interface ApiKeyView {
  key_id: string;
  name: string;
  scopes: ApiKeyScope[];
  tenants: string[];
  created_by: string;
  created_at: string;
  expires_at: string;
  status: 'active' | 'revoked' | 'expired';
  /** While a rotation's overlap lasts: until when the previous secret still works. */
  previous_valid_until: string | null;
}

export interface NewApiKey {
  name: string;
  scopes: ApiKeyScope[];
  tenants?: string[];
  createdBy: string;
  lifetimeDays: number;
}

type Also = (tx: StateTransaction, written: ApiKeyView) => Promise<void>;

type KeyRow = {
  tenant_id: string; key_id: string; name: string; scopes: string; tenants: string; created_by: string; secret_hash: string;
  previous_hash: string; previous_until: Date; created_at: Date; expires_at: Date; status: string; version: number;
};

/**
 * Machine credentials per tenant: a key (`cosk_<id>.<secret>`, shown once) with scopes, an expiry, rotation
 * with an overlap (the old secret keeps working until then) and revocation that takes effect on the next
 * request (every use reads the store).
 */
export class ApiKeys {
  constructor(
    private readonly state: StateStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(tenant: string, request: NewApiKey, also?: Also): Promise<{ key: string; view: ApiKeyView }> {
    if (!request.scopes.length) throw new DomainError('API_KEY_INVALID', 'A key needs at least one scope.');
    if (request.tenants?.length && !request.scopes.includes('connector')) throw new DomainError('API_KEY_INVALID', 'Only a connector key names tenants.');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + request.lifetimeDays * 86_400_000);
    const keyId = randomBytes(9).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    const row: KeyRow = {
      tenant_id: tenant, key_id: keyId, name: request.name, scopes: JSON.stringify(request.scopes), tenants: JSON.stringify(request.tenants ?? []),
      created_by: request.createdBy, secret_hash: digest(secret), previous_hash: '', previous_until: new Date(0), created_at: now, expires_at: expiresAt,
      status: 'active', version: 1,
    };
    const view = viewOf(row, now);
    await this.state.transaction(async (tx) => {
      await tx.insert('api_keys', [row]);
      await also?.(tx, view);
    });
    return { key: `${API_KEY_PREFIX}${keyId}.${secret}`, view };
  }

  async list(tenant: string): Promise<ApiKeyView[]> {
    const rows = await this.state.query<KeyRow>('SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, key_id', [tenant]);
    return rows.map((row) => viewOf(row, this.now()));
  }

  /** A new secret for `keyId`; the one it replaces keeps working for `overlapMinutes` more (never past the key's expiry). */
  async rotate(tenant: string, keyId: string, overlapMinutes: number, also?: Also): Promise<{ key: string; view: ApiKeyView }> {
    const secret = randomBytes(32).toString('base64url');
    const overlapUntil = new Date(this.now().getTime() + overlapMinutes * 60_000);
    const view = await this.change(tenant, keyId, (row) => {
      if (viewOf(row, this.now()).status !== 'active') throw new DomainError('API_KEY_INVALID', `Key ${keyId} is ${viewOf(row, this.now()).status}; only an active key is rotated.`);
      const until = new Date(Math.min(overlapUntil.getTime(), new Date(row.expires_at).getTime()));
      return { secret_hash: digest(secret), previous_hash: row.secret_hash, previous_until: until };
    }, also);
    return { key: `${API_KEY_PREFIX}${keyId}.${secret}`, view };
  }

  /** Revokes `keyId` now: its secrets (current and overlapping) stop working on the next request. */
  revoke(tenant: string, keyId: string, also?: Also): Promise<ApiKeyView> {
    return this.change(tenant, keyId, () => ({ status: 'revoked', previous_until: new Date(0) }), also);
  }

  /** The principal a presented key stands for, or a refusal. */
  async verify(presented: string, env: string, region: string): Promise<Principal> {
    const match = /^cosk_([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/.exec(presented);
    if (!match) throw new DomainError('AUTH_INVALID_TOKEN', 'It is not an API key of this platform.');
    const [row] = await this.state.query<KeyRow>('SELECT * FROM api_keys WHERE key_id = ?', [match[1]!]);
    const now = this.now();
    if (!row) throw new DomainError('AUTH_INVALID_TOKEN', 'There is no such API key.');
    const presentedHash = digest(match[2]!);
    const current = same(presentedHash, row.secret_hash);
    const overlapping = row.previous_hash !== '' && new Date(row.previous_until).getTime() > now.getTime() && same(presentedHash, row.previous_hash);
    if (!current && !overlapping) throw new DomainError('AUTH_INVALID_TOKEN', 'Its secret was rotated out or never was this key\'s.');
    const status = viewOf(row, now).status;
    if (status === 'revoked') throw new DomainError('API_KEY_REVOKED');
    if (status === 'expired') throw new DomainError('AUTH_TOKEN_EXPIRED', 'Ask the tenant\'s admin for a new API key.');
    const scopes = JSON.parse(String(row.scopes)) as ApiKeyScope[];
    const tenants = JSON.parse(String(row.tenants)) as string[];
    return {
      tenant: row.tenant_id, roles: [...new Set(scopes.map((scope) => ROLE_OF_SCOPE[scope]))], subject: `api-key:${row.key_id}`,
      env, region, scopes, ...(scopes.includes('connector') ? { tenants } : {}),
    };
  }

  private async change(tenant: string, keyId: string, changes: (row: KeyRow) => Partial<KeyRow>, also?: Also): Promise<ApiKeyView> {
    const [row] = await this.state.query<KeyRow>('SELECT * FROM api_keys WHERE tenant_id = ? AND key_id = ?', [tenant, keyId]);
    if (!row) throw new DomainError('API_KEY_NOT_FOUND', `There is no key ${keyId} in this tenant.`);
    const changed = { ...changes(row), version: Number(row.version) + 1 };
    const view = viewOf({ ...row, ...changed }, this.now());
    const won = await this.state.transaction(async (tx) => {
      const set = await tx.compareAndSet('api_keys', { tenant_id: tenant, key_id: keyId }, { version: Number(row.version) }, changed);
      if (set) await also?.(tx, view);
      return set;
    });
    if (!won) throw new DomainError('STATE_CONFLICT', `Key ${keyId} changed while this request changed it; try again.`);
    return view;
  }
}

/** Whether a principal limited by key scopes may call `method` on the route `url` (its pattern). */
export function scopesAllow(scopes: readonly string[], method: string, url: string): boolean {
  return scopes.some((scope) => {
    if (scope === 'read') return method === 'GET' || method === 'HEAD';
    return method === 'POST' && url === '/v1/events';
  });
}

function viewOf(row: KeyRow, now: Date): ApiKeyView {
  const previousUntil = new Date(row.previous_until);
  const expired = new Date(row.expires_at).getTime() <= now.getTime();
  return {
    key_id: row.key_id, name: row.name, scopes: JSON.parse(String(row.scopes)) as ApiKeyScope[], tenants: JSON.parse(String(row.tenants)) as string[],
    created_by: row.created_by, created_at: new Date(row.created_at).toISOString(), expires_at: new Date(row.expires_at).toISOString(),
    status: row.status === 'revoked' ? 'revoked' : expired ? 'expired' : 'active',
    previous_valid_until: row.previous_hash && previousUntil.getTime() > now.getTime() ? previousUntil.toISOString() : null,
  };
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function same(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
