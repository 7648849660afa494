import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { StateStore } from '../../kernel/state/index.ts';
import type { SqlValue } from '../../kernel/warehouse/index.ts';
import { twoProcesses, useStateStore } from '../../test/support/state.ts';
import { heldReads } from '../../test/support/held-reads.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { ACCESS_GRANT_TABLES, AccessGrants } from './access-grants.ts';
import type { Principal } from './auth.ts';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const ana: Principal = { tenant: 'acme', subject: 'ana', roles: ['reader'], env: 'dev', region: 'eu' };
const grant = (grantId: string, grantee = 'ana') => ({
  tenant: 'acme', grantId, grantee, role: 'operator' as const, grantedAt: NOW, expiresAt: new Date(NOW.getTime() + 30 * 60_000),
});

describe('temporary access grants', () => {
  const store = useStateStore(ACCESS_GRANT_TABLES);
  const committed = (table: string, grantId: string) => waitFor(async () => {
    const [row] = await store.state.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = 'acme' AND grant_id = ?`, [grantId]);
    return Number(row!.n) > 0;
  }, `${grantId} committed to ${table}`, 10_000);

  it('gives the role from grant to expiry, to its grantee in its tenant only', async () => {
    let now = NOW;
    const grants = new AccessGrants(store.state, () => now);
    await grants.grant(grant('g-1'));
    expect(await grants.apply(ana)).toMatchObject({ roles: ['reader', 'operator'], grants: ['g-1'] });
    expect((await grants.apply({ ...ana, tenant: 'globex' })).roles).toEqual(['reader']);
    expect((await grants.apply({ ...ana, subject: 'bo' })).roles).toEqual(['reader']);
    now = new Date(NOW.getTime() + 30 * 60_000);
    expect((await grants.apply(ana)).roles).toEqual(['reader']);
  });

  it('never keeps a read that a revocation overtook: the role ends with the revocation, not a cache period later', async () => {
    await new AccessGrants(store.state, () => NOW).grant(grant('g-1'));
    const reads = heldReads(store.state, (sql) => sql.includes('r.grant_id IS NULL'));
    const grants = new AccessGrants(reads.store, () => NOW);

    reads.hold();
    const slow = grants.apply(ana);
    await reads.reached();
    // The revocation commits, then waits for reads in flight before it answers: the held read answers after the commit.
    const revoking = grants.revoke('acme', 'g-1', 'cancelled by the requester');
    await committed('access_grant_revocations', 'g-1');
    reads.release();
    await revoking;
    // The request that asked before the revocation was done keeps what it read; the next one does not.
    expect((await slow).roles).toEqual(['reader', 'operator']);
    expect((await grants.apply(ana)).roles).toEqual(['reader']);
  });

  it('never keeps a read that a grant overtook', async () => {
    const reads = heldReads(store.state, (sql) => sql.includes('r.grant_id IS NULL'));
    const grants = new AccessGrants(reads.store, () => NOW);
    reads.hold();
    const slow = grants.apply(ana);
    await reads.reached();
    const granting = grants.grant(grant('g-2'));
    await committed('access_grants', 'g-2');
    reads.release();
    await granting;
    expect((await grants.apply(ana)).roles).toEqual(['reader', 'operator']);
    await slow;
  });

  it('reads a tenant\'s grants from the store once, however many principals and requests ask', async () => {
    const grants = new AccessGrants(store.state, () => NOW);
    await grants.grant(grant('g-1'));
    await grants.grant(grant('g-2', 'bo'));
    const reads: string[] = [];
    const counted = new AccessGrants({ ...store.state, query: (sql, params) => (reads.push(String(params?.[0])), store.state.query(sql, params)) } as typeof store.state, () => NOW);
    const asks = Array.from({ length: 200 }, (_, i) => counted.apply({ ...ana, subject: ['ana', 'bo', 'cy'][i % 3]! }));
    const answered = await Promise.all(asks);
    expect(answered.filter((p) => p.roles.includes('operator'))).toHaveLength(134);
    await counted.apply({ ...ana, tenant: 'globex' });
    expect(reads).toEqual(['acme', 'globex']);
  });

  it('adds a retried grant whose first answer was lost, and not one revoked since', async () => {
    await new AccessGrants(store.state, () => NOW).grant(grant('g-1'));
    await new AccessGrants(store.state, () => NOW).grant(grant('g-2', 'bo'));
    const grants = new AccessGrants(store.state, () => NOW);
    await grants.revoke('acme', 'g-2', 'ended early');
    await grants.grant(grant('g-1'));
    await grants.grant(grant('g-2', 'bo'));
    expect((await grants.apply(ana)).grants).toEqual(['g-1']);
    expect((await grants.apply({ ...ana, subject: 'bo' })).roles).toEqual(['reader']);
  });
});

describe.each(['duckdb', 'postgresql'] as const)('temporary access grants read by every request on %s', (engine) => {
  let processes: Awaited<ReturnType<typeof twoProcesses>>;
  beforeEach(async (context) => {
    if (engine === 'postgresql' && !inject('postgresUrl')) context.skip();
    processes = await twoProcesses(engine, ACCESS_GRANT_TABLES);
  });
  afterEach(() => processes?.dispose());

  it('gives the live grant and reads no grant long expired, whoever made them', async () => {
    const [first, second] = processes.stores;
    const maker = new AccessGrants(first, () => NOW);
    const hourAgo = new Date(NOW.getTime() - 3_600_000);
    // A year of temporary access: grants long expired, to the principal and to others, and the few that are not.
    for (let i = 0; i < 300; i++) {
      await maker.grant({ ...grant(`old-${i}`, i % 2 ? 'ana' : 'bo'), grantedAt: new Date(hourAgo.getTime() - 60_000), expiresAt: hourAgo });
    }
    await maker.grant(grant('live'));
    await maker.grant(grant('revoked'));
    await maker.revoke('acme', 'revoked', 'ended early');
    await maker.grant(grant('other', 'bo'));
    await maker.grant({ ...grant('later'), grantedAt: new Date(NOW.getTime() + 60_000), expiresAt: new Date(NOW.getTime() + 120_000) });

    const rowsRead: number[] = [];
    const reading: StateStore = Object.assign(Object.create(second) as StateStore, {
      query: async (sql: string, params?: readonly SqlValue[]) => {
        const rows = await second.query(sql, params);
        rowsRead.push(rows.length);
        return rows;
      },
    });
    const requests = new AccessGrants(reading, () => NOW);
    expect(await requests.apply(ana)).toMatchObject({ roles: ['reader', 'operator'], grants: ['live'] });
    expect(await requests.apply({ ...ana, subject: 'cy' })).toEqual({ ...ana, subject: 'cy' });
    // Shared (PostgreSQL): each request reads its principal's unexpired grants; embedded: the tenant's, once.
    if (engine === 'postgresql') expect(rowsRead).toEqual([2, 0]);
    else expect(rowsRead).toEqual([303]);
  });

  it('gives the role from grant to expiry, to its grantee in its tenant only, to the millisecond', async () => {
    const [first, second] = processes.stores;
    await new AccessGrants(first, () => NOW).grant(grant('g-1'));
    let now = NOW;
    const requests = new AccessGrants(second, () => now);
    expect(await requests.apply(ana)).toMatchObject({ roles: ['reader', 'operator'], grants: ['g-1'] });
    expect((await requests.apply({ ...ana, tenant: 'globex' })).roles).toEqual(['reader']);
    expect((await requests.apply({ ...ana, subject: 'bo' })).roles).toEqual(['reader']);
    now = new Date(NOW.getTime() + 30 * 60_000 - 1);
    expect((await requests.apply(ana)).roles).toEqual(['reader', 'operator']);
    now = new Date(NOW.getTime() + 30 * 60_000);
    expect((await requests.apply(ana)).roles).toEqual(['reader']);
  });

});

describe('temporary access grants on a shared store (PostgreSQL)', () => {
  let processes: Awaited<ReturnType<typeof twoProcesses>>;
  beforeEach(async (context) => {
    if (!inject('postgresUrl')) context.skip();
    processes = await twoProcesses('postgresql', ACCESS_GRANT_TABLES);
  });
  afterEach(() => processes?.dispose());

  it('looks a request\'s grants up by tenant, grantee and expiry', async () => {
    const [row] = await processes.stores[0].query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'access_grants' AND indexname = 'access_grants_by_tenant_id_grantee_expires_at'",
    );
    expect(row?.indexdef).toMatch(/\(tenant_id, grantee, expires_at\)$/);
  });

  it('sees a grant and a revocation another process made at the next request', async () => {
    const [first, second] = processes.stores;
    const maker = new AccessGrants(first, () => NOW);
    const requests = new AccessGrants(second, () => NOW);
    expect((await requests.apply(ana)).roles).toEqual(['reader']);
    await maker.grant(grant('g-1'));
    expect((await requests.apply(ana)).roles).toEqual(['reader', 'operator']);
    await maker.revoke('acme', 'g-1', 'ended early');
    expect((await requests.apply(ana)).roles).toEqual(['reader']);
  });
});
