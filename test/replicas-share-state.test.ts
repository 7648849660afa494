import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ensureStateSchema, PostgresStateStore, type StateStore } from '../kernel/state/index.ts';
import { TABLES } from '../kernel/warehouse/index.ts';
import { ApprovalStore, EntityStore } from '../platform/governance/index.ts';
import { ACCESS_GRANT_TABLES, AccessGrants, type Principal } from '../platform/identity/index.ts';
import { freshPostgresDatabase } from './support/postgres.ts';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const ana: Principal = { tenant: 'acme', subject: 'ana', roles: ['reader'], env: 'dev', region: 'eu' };

/**
 * Two platform processes on one PostgreSQL state store, each with its own services (as two API replicas
 * behind a load balancer): what one writes, the other's next read sees, whatever it read before.
 */
describe.runIf(inject('postgresUrl'))('two platform processes on one PostgreSQL state store', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let first: StateStore;
  let second: StateStore;

  beforeEach(async () => {
    database = await freshPostgresDatabase(inject('postgresUrl')!);
    first = await PostgresStateStore.open(database.url, [...TABLES, ...ACCESS_GRANT_TABLES]);
    await ensureStateSchema(first);
    second = await PostgresStateStore.open(database.url, [...TABLES, ...ACCESS_GRANT_TABLES]);
  });
  afterEach(async () => {
    await Promise.all([first?.close(), second?.close()]);
    await database?.drop();
  });

  it("see each other's entity changes: a reclassification on one is what the other's gate reads next", async () => {
    const [a, b] = [new EntityStore(first, 'eu'), new EntityStore(second, 'eu')];
    const [created] = await a.create('acme', [{ id: 'db-1', type: 'Asset', name: 'orders db', data_class: 'internal' }], 'acme/ops');
    expect((await b.get('acme', 'db-1'))?.data_class).toBe('internal');
    expect((await b.getMany('acme', ['db-1'])).map((e) => e.data_class)).toEqual(['internal']);
    await a.update(created!, { ...created!, data_class: 'restricted' }, 'acme/admin');
    expect((await b.get('acme', 'db-1'))?.data_class).toBe('restricted');
    expect((await b.getMany('acme', ['db-1'])).map((e) => e.version)).toEqual([2]);
  });

  it("see each other's approval requests and approvals: a request filed on one is pending on the other until approved there", async () => {
    const [a, b] = [new ApprovalStore(first), new ApprovalStore(second)];
    expect(await b.pending('acme', 'db-1', 'delete')).toEqual([]);
    const request = await a.request('acme', 'db-1', 'delete', 'acme/ops', 'decision-1');
    const onB = await b.pending('acme', 'db-1', 'delete');
    expect(onB.map((r) => r.requestId)).toEqual([request.requestId]);
    await b.approve('acme', onB[0]!, 'acme/lead', { category: 'decommission', text: 'retired with the old stack' }, []);
    expect(await a.pending('acme', 'db-1', 'delete')).toEqual([]);
  });

  it("see each other's access grants and revocations: a grant revoked on one no longer gives the role on the other", async () => {
    const [a, b] = [new AccessGrants(first, () => NOW), new AccessGrants(second, () => NOW)];
    expect((await b.apply(ana)).roles).toEqual(['reader']);
    await a.grant({ tenant: 'acme', grantId: 'g-1', grantee: 'ana', role: 'operator', grantedAt: NOW, expiresAt: new Date(NOW.getTime() + 30 * 60_000) });
    expect((await b.apply(ana)).roles).toEqual(['reader', 'operator']);
    await a.revoke('acme', 'g-1', 'done early');
    expect((await b.apply(ana)).roles).toEqual(['reader']);
  });
});
