import type { StateStore } from '../../kernel/state/index.ts';
import { sql, stateSource, TenantScope } from '../tenancy/index.ts';
import type { TableDefinition } from '../../kernel/warehouse/index.ts';
import type { Principal, Role } from './auth.ts';

const grantTable = { owner: 'platform/identity', tenantColumn: 'tenant_id', retention: 'audit', clickhouse: { engine: 'MergeTree' } } as const;

/** Time-boxed roles, insert-only: a grant, and at most one revocation of it. */
export const ACCESS_GRANT_TABLES: readonly TableDefinition[] = [
  {
    ...grantTable,
    name: 'access_grants',
    key: ['tenant_id', 'grant_id'],
    // Every request on a shared store reads its principal's grants that have not expired: few among all ever made.
    state: { unique: [['tenant_id', 'grant_id']], checks: ['expires_at > granted_at'], onlyInStateStore: true, lookups: [['tenant_id', 'grantee', 'expires_at']] },
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

/**
 * Roles granted for a time (High-Risk Ops' temporary access). A principal holds a granted role
 * while `granted_at <= now < expires_at` and the grant is not revoked: the end is checked on each
 * request against the clock, so access ends on time even when the revocation comes later.
 *
 * Every request asks for its principal's grants, so a tenant's unrevoked grants are read from the
 * store once and then kept by the writes, which all go through this class: one process owns the
 * embedded state store. A grant or revocation is applied to what is kept after it commits, and after
 * any read of the tenant in flight, so a read that a write overtook never hides it. On a shared store
 * (PostgreSQL, where other processes grant and revoke) each request reads its principal's grants that
 * have not expired, and nothing is kept.
 */
export class AccessGrants {
  /** Per tenant: grant id → grant, unrevoked (expired ones are dropped as they are met). */
  private readonly tenants = new Map<string, Promise<Map<string, AccessGrant>>>();

  constructor(
    private readonly state: StateStore,
    private readonly now: () => Date,
  ) {}

  /** Records a grant; a second call with its id changes nothing (a retried executor). */
  async grant(grant: Omit<AccessGrant, 'revokedAt'>): Promise<void> {
    const added = await this.state.transaction((tx) => tx.insertNew('access_grants', [{
      tenant_id: grant.tenant, grant_id: grant.grantId, grantee: grant.grantee, role: grant.role, granted_at: grant.grantedAt, expires_at: grant.expiresAt,
    }]));
    // On a shared store nothing is kept: each request reads what is granted.
    if (!this.state.soleWriter) return;
    const grants = await this.held(grant.tenant);
    if (added > 0) {
      grants.set(grant.grantId, { ...grant });
      return;
    }
    // A retry after a lost answer: the grant as stored, unless it has been revoked since.
    const stored = await this.find(grant.tenant, grant.grantId);
    if (stored && !stored.revokedAt) grants.set(stored.grantId, stored);
  }

  /** Ends a grant now; once (a second revocation keeps the first one's time and reason). */
  async revoke(tenant: string, grantId: string, reason: string): Promise<AccessGrant | undefined> {
    await this.state.transaction(async (tx) => {
      await tx.insertNew('access_grant_revocations', [{ tenant_id: tenant, grant_id: grantId, revoked_at: this.now(), reason }]);
    });
    if (this.state.soleWriter) (await this.held(tenant)).delete(grantId);
    return this.find(tenant, grantId);
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
    const at = this.now();
    const grants = this.state.soleWriter ? await this.held(principal.tenant) : await this.unexpired(principal, at);
    if (grants.size === 0) return principal;
    const now = at.getTime();
    const held: AccessGrant[] = [];
    for (const grant of grants.values()) {
      if (now >= grant.expiresAt.getTime()) grants.delete(grant.grantId);
      else if (grant.grantee === principal.subject && grant.grantedAt.getTime() <= now) held.push(grant);
    }
    if (held.length === 0) return principal;
    return {
      ...principal,
      roles: [...new Set([...principal.roles, ...held.map((grant) => grant.role)])],
      grants: held.map((grant) => grant.grantId),
    };
  }

  /**
   * The principal's unrevoked grants that have not expired at `at`, read now: on a shared store, where the tenant's
   * grants are not kept. Those long expired, which would otherwise be read on every request for ever, are not read.
   */
  private async unexpired(principal: Principal, at: Date): Promise<Map<string, AccessGrant>> {
    const scope = new TenantScope(stateSource(this.state), principal.tenant);
    const rows = await scope.query(sql`SELECT g.* FROM ${scope.table('access_grants', { as: 'g', where: sql`grantee = ${principal.subject} AND expires_at > ${at}` })}
      WHERE NOT EXISTS (SELECT 1 FROM ${scope.table('access_grant_revocations', { as: 'r' })} WHERE r.grant_id = g.grant_id)`);
    return new Map(rows.map(toGrant).map((grant) => [grant.grantId, grant]));
  }

  /**
   * The tenant's unrevoked grants, read once and kept (this process is the store's only writer: `soleWriter`); a
   * failed read is tried again by the next caller. Grants and revocations update what is kept (`grant`, `revoke`).
   */
  private held(tenant: string): Promise<Map<string, AccessGrant>> {
    let grants = this.tenants.get(tenant);
    if (!grants) {
      grants = this.state.query(
        `SELECT g.* FROM access_grants g
           LEFT JOIN access_grant_revocations r ON r.tenant_id = g.tenant_id AND r.grant_id = g.grant_id
          WHERE g.tenant_id = ? AND r.grant_id IS NULL`,
        [tenant],
      ).then((rows) => new Map(rows.map(toGrant).map((grant) => [grant.grantId, grant])));
      this.tenants.set(tenant, grants);
      grants.catch(() => this.tenants.delete(tenant));
    }
    return grants;
  }
}

function toGrant(row: Record<string, unknown>): AccessGrant {
  return {
    tenant: String(row.tenant_id), grantId: String(row.grant_id), grantee: String(row.grantee), role: String(row.role) as Role,
    grantedAt: new Date(row.granted_at as Date), expiresAt: new Date(row.expires_at as Date),
    ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at as Date) } : {}),
  };
}
