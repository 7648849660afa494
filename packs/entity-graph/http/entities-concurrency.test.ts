import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { takeLedgerOffline } from '../../../test/support/faults.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Reply = Awaited<ReturnType<ApiHarness['app']['inject']>>;

const N = 8;

/**
 * Issue 15, items 1, 7, 8 and 9 under load: requests race through `app.inject`
 * in Promise.all, then the warehouse is closed and opened again (a restart), and
 * what is stored must be what the successful responses said.
 */
describe.each(TEST_ENGINES)('Concurrent entity writes on %s', (engine) => {
  const db = useWarehouse(engine);
  let api: ApiHarness;
  const tokens: Record<string, string> = {};

  beforeEach(async () => {
    api = await apiHarness(db.warehouse);
    tokens.alice = await api.principal('alice', 'acme', 'operator');
    tokens.olga = await api.principal('olga', 'acme', 'operator');
    tokens.globex = await api.principal('gus', 'globex', 'operator');
    for (let i = 0; i < N; i++) tokens[`approver${i}`] = await api.principal(`approver${i}`, 'acme', 'approver');
  });
  afterEach(() => api.app.close());

  const call = (who: string, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    api.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const statuses = (replies: Reply[]) => replies.map((r) => r.statusCode).sort();
  const ok = (replies: Reply[]) => replies.filter((r) => r.statusCode < 300);

  async function restart(): Promise<void> {
    await api.app.close();
    await db.reopen();
    api = await apiHarness(db.warehouse);
  }

  /** Receipts per action for one tenant, read from the ledger itself. */
  async function receiptActions(tenant: string): Promise<string[]> {
    const rows = await api.app.platform.state.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE tenant_id = ?', [tenant]);
    return rows.map((r) => JSON.parse(Buffer.from(JSON.parse(r.entry).payload, 'base64').toString('utf8')).predicate.action as string).sort();
  }

  /** Every stored version of an entity: no version may be written twice. */
  async function storedVersions(tenant: string, id: string): Promise<number[]> {
    const rows = await api.app.platform.state.query<{ version: number }>('SELECT version FROM entities WHERE tenant_id = ? AND entity_id = ? ORDER BY version', [tenant, id]);
    return rows.map((r) => Number(r.version));
  }

  it('two tenants racing the same ids each get their own record; within a tenant one create wins', async () => {
    const ids = Array.from({ length: N }, (_, i) => `race-${i}`);
    const replies = await Promise.all(
      ids.flatMap((id) => [
        call('alice', 'POST', '/v1/entities', { id, type: 'Asset', name: `acme ${id}` }),
        call('olga', 'POST', '/v1/entities', { id, type: 'Asset', name: `acme again ${id}` }),
        call('globex', 'POST', '/v1/entities', { id, type: 'Person', name: `globex ${id}` }),
      ]),
    );
    const acme = replies.filter((_, i) => i % 3 !== 2);
    expect(ok(acme)).toHaveLength(N);
    expect(acme.filter((r) => r.statusCode === 409).map((r) => r.json().code)).toEqual(Array(N).fill('ENTITY_EXISTS'));
    expect(statuses(replies.filter((_, i) => i % 3 === 2))).toEqual(Array(N).fill(201));
    const acmeNames = new Map(ok(acme).map((r) => [r.json().id as string, r.json().name as string]));

    await restart();
    for (const id of ids) {
      expect((await call('alice', 'GET', `/v1/entities/${id}`)).json()).toMatchObject({ tenant: 'acme', type: 'Asset', name: acmeNames.get(id), version: 1 });
      expect((await call('globex', 'GET', `/v1/entities/${id}`)).json()).toMatchObject({ tenant: 'globex', type: 'Person', name: `globex ${id}`, version: 1 });
      expect(await storedVersions('acme', id)).toEqual([1]);
    }
    expect(await receiptActions('acme')).toEqual(Array(N).fill('create'));
    expect(await receiptActions('globex')).toEqual(Array(N).fill('create'));
  });

  it(`${N} PATCHes on one version: exactly one wins; without a version each gets its own; the state survives a restart`, async () => {
    const created = (await call('alice', 'POST', '/v1/entities', { id: 'hot', type: 'Asset', name: 'v1' })).json();
    const onV1 = await Promise.all(Array.from({ length: N }, (_, i) => call(i % 2 ? 'olga' : 'alice', 'PATCH', '/v1/entities/hot', { name: `writer ${i}` }, { 'if-match': '"1"' })));
    expect(ok(onV1)).toHaveLength(1);
    expect(ok(onV1)[0]!.json().version).toBe(2);
    expect(onV1.filter((r) => r.statusCode === 409).map((r) => [r.json().code, r.json().current_version])).toEqual(Array(N - 1).fill(['ENTITY_VERSION_CONFLICT', 2]));

    const blind = await Promise.all(Array.from({ length: N }, (_, i) => call('alice', 'PATCH', '/v1/entities/hot', { name: `blind ${i}`, attributes: { i } })));
    expect(ok(blind)).toHaveLength(N);
    const versions = blind.map((r) => r.json().version as number).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: N }, (_, i) => i + 3));
    const last = blind.find((r) => r.json().version === N + 2)!.json();

    await restart();
    expect((await call('alice', 'GET', '/v1/entities/hot')).json()).toMatchObject({ id: 'hot', name: last.name, attributes: last.attributes, version: N + 2 });
    expect(await storedVersions('acme', 'hot')).toEqual(Array.from({ length: N + 2 }, (_, i) => i + 1));
    expect(await receiptActions('acme')).toEqual(['create', ...Array(N + 1).fill('update')]);
    expect(created.version).toBe(1);
  });

  it(`${N} PATCHes whose receipts cannot be written write nothing (each version commits with its receipt or not at all); the state after a restart is the one before`, async () => {
    await call('alice', 'POST', '/v1/entities', { id: 'fragile', type: 'Asset', name: 'original', attributes: { keep: true } });
    const bringBack = await takeLedgerOffline(api.app.platform.state);
    let failed: Reply[];
    try {
      failed = await Promise.all(Array.from({ length: N }, (_, i) => call('alice', 'PATCH', '/v1/entities/fragile', { name: `unreceipted ${i}` })));
    } finally {
      await bringBack();
    }
    expect(failed.map((r) => [r.statusCode, r.json().code])).toEqual(Array(N).fill([503, 'RECEIPT_WRITE_FAILED']));
    // No version was written: a version and its receipt commit together.
    expect(await storedVersions('acme', 'fragile')).toEqual([1]);
    const now = (await call('alice', 'GET', '/v1/entities/fragile')).json();
    expect(now).toMatchObject({ name: 'original', attributes: { keep: true }, version: 1 });
    await restart();
    expect((await call('alice', 'GET', '/v1/entities/fragile')).json()).toMatchObject({ name: 'original', attributes: { keep: true }, version: 1 });
    expect(await receiptActions('acme')).toEqual(['create']);
  });

  it(`${N} approvers at once: one approval; then ${N} DELETEs racing ${N} PATCHes: one delete, one receipt, and deleted stays deleted after a restart`, async () => {
    await call('alice', 'POST', '/v1/entities', { id: 'doomed', type: 'Asset', name: 'doomed' });
    const pending = await Promise.all(Array.from({ length: N }, () => call('alice', 'DELETE', '/v1/entities/doomed')));
    expect(statuses(pending)).toEqual(Array(N).fill(202));
    expect(new Set(pending.map((r) => r.json().approval_request_id)).size).toBe(1);

    const approvals = await Promise.all(Array.from({ length: N }, (_, i) => call(`approver${i}`, 'POST', '/v1/approvals', { entity_id: 'doomed', action: 'delete', rationale: `decommission: approver ${i} agrees` })));
    expect(ok(approvals)).toHaveLength(1);
    expect(approvals.filter((r) => r.statusCode === 409).map((r) => r.json().code)).toEqual(Array(N - 1).fill('APPROVAL_ALREADY_SATISFIED'));

    const race = await Promise.all(
      Array.from({ length: N }, (_, i) => [call('alice', 'DELETE', '/v1/entities/doomed'), call('olga', 'PATCH', '/v1/entities/doomed', { name: `late ${i}` })]).flat(),
    );
    const deletes = race.filter((_, i) => i % 2 === 0);
    const patches = race.filter((_, i) => i % 2 === 1);
    expect(ok(deletes)).toHaveLength(1);
    expect(deletes.filter((r) => r.statusCode >= 300).map((r) => [r.statusCode, r.json().code])).toEqual(Array(N - 1).fill([404, 'ENTITY_NOT_FOUND']));
    const tombstone = ok(deletes)[0]!.json().version as number;
    // A PATCH either landed before the delete (a version below the tombstone) or found nothing.
    for (const reply of patches) {
      if (reply.statusCode === 200) expect(reply.json().version).toBeLessThan(tombstone);
      else expect([reply.statusCode, reply.json().code]).toEqual([404, 'ENTITY_NOT_FOUND']);
    }

    await restart();
    expect((await call('alice', 'GET', '/v1/entities/doomed')).statusCode).toBe(404);
    expect((await call('alice', 'GET', '/v1/entities')).json().entities).toEqual([]);
    expect(await storedVersions('acme', 'doomed')).toEqual(Array.from({ length: tombstone }, (_, i) => i + 1));
    expect(await receiptActions('acme')).toEqual(['approve', 'create', 'delete', ...Array(ok(patches).length).fill('update')].sort());
    const rows = await api.app.platform.state.query<{ status: string }>("SELECT status FROM approvals WHERE tenant_id = 'acme' ORDER BY status");
    expect(rows.map((r) => r.status)).toEqual(['approved', 'consumed']);
    // Still deleted after the restart, even for a second try with the consumed approval.
    expect((await call('alice', 'DELETE', '/v1/entities/doomed')).statusCode).toBe(404);
  });
});
