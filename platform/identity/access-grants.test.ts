import { describe, expect, it } from 'vitest';
import { useStateStore } from '../../test/support/state.ts';
import { heldReads, reachStore } from '../../test/support/held-reads.ts';
import { ACCESS_GRANT_TABLES, AccessGrants } from './access-grants.ts';
import type { Principal } from './auth.ts';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const ana: Principal = { tenant: 'acme', subject: 'ana', roles: ['reader'], env: 'dev', region: 'eu' };
const grant = (grantId: string, grantee = 'ana') => ({
  tenant: 'acme', grantId, grantee, role: 'operator' as const, grantedAt: NOW, expiresAt: new Date(NOW.getTime() + 30 * 60_000),
});

describe('temporary access grants', () => {
  const store = useStateStore(ACCESS_GRANT_TABLES);

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
    const reads = heldReads(store.state, (sql) => sql.includes('g.grantee = ?'));
    const grants = new AccessGrants(reads.store, () => NOW);
    await grants.grant(grant('g-1'));

    reads.hold();
    const slow = grants.apply(ana);
    await reachStore();
    await grants.revoke('acme', 'g-1', 'cancelled by the requester');
    reads.release();
    // The request that asked before the revocation was done keeps what it read; the next one does not.
    expect((await slow).roles).toEqual(['reader', 'operator']);
    expect((await grants.apply(ana)).roles).toEqual(['reader']);
  });

  it('never keeps a read that a grant overtook', async () => {
    const reads = heldReads(store.state, (sql) => sql.includes('g.grantee = ?'));
    const grants = new AccessGrants(reads.store, () => NOW);
    reads.hold();
    const slow = grants.apply(ana);
    await reachStore();
    await grants.grant(grant('g-2'));
    reads.release();
    expect((await slow).roles).toEqual(['reader']);
    expect((await grants.apply(ana)).roles).toEqual(['reader', 'operator']);
  });
});
