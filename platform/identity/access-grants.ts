import type { StateStore } from '../../kernel/state/index.ts';
import type { TableDefinition } from '../../kernel/warehouse/index.ts';
import type { Principal, Role } from './auth.ts';

const grantTable = { owner: 'platform/identity', tenantColumn: 'tenant_id', retention: 'audit', clickhouse: { engine: 'MergeTree' } } as const;

/** Time-boxed roles, insert-only: a grant, and at most one revocation of it. */
export const ACCESS_GRANT_TABLES: readonly TableDefinition[] = [
  {
    ...grantTable,
    name: 'access_grants',
    key: ['tenant_id', 'grant_id'],
    state: { unique: [['tenant_id', 'grant_id']], checks: ['expires_at > granted_at'], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'grant_id', type: 'text' },
      { name: 'grantee', type: 'text' },
      { name: 'role', type: 'text' },
      { name: 'granted_at', type: 'timestamp' },
      { name: 'expires_at', type: 'timestamp' },
    ],
  },
  {
    ...grantTable,
    name: 'access_grant_revocations',
    key: ['tenant_id', 'grant_id'],
    state: { unique: [['tenant_id', 'grant_id']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'grant_id', type: 'text' },
      { name: 'revoked_at', type: 'timestamp' },
      { name: 'reason', type: 'text' },
    ],
  },
];

export interface AccessGrant {
  tenant: string;
  grantId: string;
  /** The subject the role is granted to, in the grant's tenant. */
  grantee: string;
  role: Role;
  grantedAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
}

/** How long a principal's grants are read from the store once (a revocation in this process is seen at once). */
const CACHE_MS = 2000;

/**
 * Roles granted for a time (High-Risk Ops' temporary access). A principal holds a granted role
 * while `granted_at <= now < expires_at` and the grant is not revoked: the end is checked on each
 * request against the clock, so access ends on time even when the revocation comes later.
 */
export class AccessGrants {
  private readonly cache = new Map<string, { rows: AccessGrant[]; until: number }>();
  /** Grants and revocations this process made, per grantee: a read that a change overtook is not kept. */
  private readonly changes = new Map<string, number>();

  constructor(
    private readonly state: StateStore,
    private readonly now: () => Date,
  ) {}

  /** Records a grant; a second call with its id changes nothing (a retried executor). */
  async grant(grant: Omit<AccessGrant, 'revokedAt'>): Promise<void> {
    await this.state.transaction(async (tx) => {
      await tx.insertNew('access_grants', [{
        tenant_id: grant.tenant, grant_id: grant.grantId, grantee: grant.grantee, role: grant.role, granted_at: grant.grantedAt, expires_at: grant.expiresAt,
      }]);
    });
    this.changed(`${grant.tenant}/${grant.grantee}`);
  }

  /** Ends a grant now; once (a second revocation keeps the first one's time and reason). */
  async revoke(tenant: string, grantId: string, reason: string): Promise<AccessGrant | undefined> {
    await this.state.transaction(async (tx) => {
      await tx.insertNew('access_grant_revocations', [{ tenant_id: tenant, grant_id: grantId, revoked_at: this.now(), reason }]);
    });
    const grant = await this.find(tenant, grantId);
    if (grant) this.changed(`${tenant}/${grant.grantee}`);
    return grant;
  }

  async find(tenant: string, grantId: string): Promise<AccessGrant | undefined> {
    const [row] = await this.state.query(
      `SELECT g.*, r.revoked_at FROM access_grants g
         LEFT JOIN access_grant_revocations r ON r.tenant_id = g.tenant_id AND r.grant_id = g.grant_id
        WHERE g.tenant_id = ? AND g.grant_id = ?`,
      [tenant, grantId],
    );
    return row ? toGrant(row) : undefined;
  }

  /** The principal with the roles its grants give it now, and which grants those are (`grants`, for the decision log). */
  async apply(principal: Principal): Promise<Principal> {
    const now = this.now().getTime();
    const held = (await this.grantsOf(principal.tenant, principal.subject)).filter(
      (grant) => !grant.revokedAt && grant.grantedAt.getTime() <= now && now < grant.expiresAt.getTime(),
    );
    if (held.length === 0) return principal;
    return {
      ...principal,
      roles: [...new Set([...principal.roles, ...held.map((grant) => grant.role)])],
      grants: held.map((grant) => grant.grantId),
    };
  }

  private async grantsOf(tenant: string, subject: string): Promise<AccessGrant[]> {
    const key = `${tenant}/${subject}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.rows;
    const seen = this.changes.get(key) ?? 0;
    const rows = (await this.state.query(
      `SELECT g.*, r.revoked_at FROM access_grants g
         LEFT JOIN access_grant_revocations r ON r.tenant_id = g.tenant_id AND r.grant_id = g.grant_id
        WHERE g.tenant_id = ? AND g.grantee = ? AND r.grant_id IS NULL`,
      [tenant, subject],
    )).map(toGrant);
    // A grant or revocation committed while this read ran may be missing from it: answer it, keep it not.
    if ((this.changes.get(key) ?? 0) !== seen) return rows;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { rows, until: Date.now() + CACHE_MS });
    return rows;
  }

  private changed(key: string): void {
    this.changes.set(key, (this.changes.get(key) ?? 0) + 1);
    this.cache.delete(key);
  }
}

function toGrant(row: Record<string, unknown>): AccessGrant {
  return {
    tenant: String(row.tenant_id), grantId: String(row.grant_id), grantee: String(row.grantee), role: String(row.role) as Role,
    grantedAt: new Date(row.granted_at as Date), expiresAt: new Date(row.expires_at as Date),
    ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at as Date) } : {}),
  };
}
