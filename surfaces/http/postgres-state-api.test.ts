import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { verifyBundle } from '../../kernel/ledger/index.ts';
import { PostgresStateStore } from '../../kernel/state/index.ts';
import { apiHarness, type ApiHarness } from '../../test/support/api.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { freshPostgresDatabase } from '../../test/support/postgres.ts';
import { createPlatform, type Platform } from '../compose/index.ts';

const server = inject('postgresUrl');

describe.skipIf(!server)('the platform with its state in PostgreSQL (COMPANYOS_STATE_URL)', () => {
  const db = useWarehouse('duckdb');
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let platform: Platform;
  let api: ApiHarness;
  const tokens: Record<string, string> = {};
  const call = (who: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    api.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeEach(async () => {
    database = await freshPostgresDatabase(server!);
    platform = await createPlatform({ warehouse: db.warehouse, state: { url: database.url } });
    api = await apiHarness(db.warehouse, { platform });
    tokens.ana = await api.principal('ana', 'acme', 'operator');
    tokens.bo = await api.principal('bo', 'acme', 'approver');
  });
  afterEach(async () => {
    await api.app.close();
    await platform.close();
    await database.drop();
  });

  it('keeps entities, dual control, workflow runs and the ledger there: a receipted delete\'s bundle verifies offline', async () => {
    expect(platform.state).toBeInstanceOf(PostgresStateStore);
    const created = await call('ana', 'POST', '/v1/entities', { type: 'Asset', name: 'pg-db' });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect((await call('ana', 'DELETE', `/v1/entities/${id}`)).statusCode).toBe(202);
    const approved = await call('bo', 'POST', '/v1/approvals', { entity_id: id, action: 'delete', rationale: { category: 'decommission', text: 'retired with the old cluster' } });
    expect(approved.statusCode, approved.body).toBe(201);
    const deleted = await call('ana', 'DELETE', `/v1/entities/${id}`);
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect((await call('ana', 'GET', `/v1/entities/${id}`)).statusCode).toBe(404);

    const run = await call('ana', 'POST', '/v1/workflows/types/temporary-access/runs', { rationale: { category: 'support', text: 'on-call needs read access tonight' }, params: { grantee: 'oncall-1', role: 'reader', duration_minutes: 30 } });
    expect(run.statusCode, run.body).toBe(201);
    expect(run.json().status).toBe('awaiting-approval');
    const listed = await call('ana', 'GET', '/v1/workflows/runs');
    expect((listed.json().runs as { run_id: string }[]).map((r) => r.run_id)).toContain(run.json().run_id);

    const bundle = await call('ana', 'GET', `/v1/provenance/bundles/${deleted.json().receipt_id as string}`);
    expect(bundle.statusCode, bundle.body).toBe(200);
    const report = verifyBundle(bundle.json(), platform.ledger.keyring);
    expect(report.failures).toEqual([]);

    // In PostgreSQL, not in the embedded database.
    const [inPostgres] = await platform.state.query<{ n: number }>("SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = 'acme'");
    expect(inPostgres!.n).toBeGreaterThanOrEqual(4);
    const [embedded] = await db.warehouse.query<{ n: number }>("SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = 'acme'");
    expect(Number(embedded!.n)).toBe(0);
  });

  it("takes turns with another replica to build: a build running there refuses this one, unreceipted, until it ends", { timeout: 60_000 }, async () => {
    const replica = await createPlatform({ warehouse: db.warehouse, state: { url: database.url } });
    try {
      const operator = await api.principal('oli', 'summit-internal', 'operator');
      const build = () => api.app.inject({ method: 'POST', url: '/v1/transforms/build', headers: { authorization: `Bearer ${operator}` }, payload: { mode: 'seed' } });
      const receipts = async () => Number((await platform.state.query<{ n: number }>('SELECT count(*) AS n FROM ledger_entries'))[0]!.n);
      const before = await receipts();
      const elsewhere = await replica.builds.reserve();
      const refused = await build();
      expect(refused.statusCode, refused.body).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'BUILD_IN_PROGRESS', message: expect.stringContaining(replica.jobLeases.holder) });
      expect(await receipts()).toBe(before);
      // Nor can the other replica start a second one while this one builds.
      await elsewhere.release();
      const slot = await platform.builds.reserve();
      await expect(replica.builds.reserve()).rejects.toThrow(/a build is already running \(in .+\)/);
      await slot.release();
      const built = await build();
      expect(built.statusCode, built.body).toBe(200);
      expect(await receipts()).toBe(before + 1);
    } finally {
      await replica.close();
    }
  });
});
