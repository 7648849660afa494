import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openEnvelope, parseReceiptStatement } from '../../kernel/ledger/index.ts';
import { DEFAULT_RETENTION_DAYS } from '../../platform/retention/index.ts';
import { useApi } from '../../test/support/api.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';


describe('GET /v1/provenance/purge-manifests', () => {
  const db = useWarehouse('duckdb');
  const server = useApi(db, { retention: { ...DEFAULT_RETENTION_DAYS, quarantine: 30 } });

  it("lists the caller's tenant's signed manifests only, each receipted in its own ledger; refuses a bad limit with 400", async () => {
    const { api } = server;
    // acme has a quarantined event past the 30-day window; globex has nothing to expire.
    const old = new Date(Date.now() - 31 * 86_400_000);
    await db.warehouse.insert('events_quarantine', ['tenant_id', 'quarantine_id', 'received_at', 'channel', 'batch_index', 'event_id', 'event_source', 'reason_code', 'reason_text', 'payload'], [
      ['acme', 'q-1', old, 'http', 0, 'e-1', '/src', 'EVENT_MISSING_TENANT', 'no tenant', JSON.stringify(cloudEvent())],
    ]);
    await api.app.platform.retention!.runIfDue();
    const get = async (tenant: string, query = '') => api.app.inject({ url: `/v1/provenance/purge-manifests${query}`, headers: { authorization: `Bearer ${await api.token(tenant, 'reader')}` } });

    const keys = api.app.platform.ledger.keyring;
    const acme = await get('acme');
    expect(acme.statusCode).toBe(200);
    const [manifest, ...more] = (acme.json() as { manifests: { purge_id: string; envelope: unknown; receipt_id: string }[] }).manifests;
    expect(more).toEqual([]);
    const body = JSON.parse(openEnvelope(manifest!.envelope, keys).payload.toString('utf8')) as { scope: { tenant: string }; counts: Record<string, number> };
    expect(body.scope.tenant).toBe('acme');
    expect(body.counts.quarantine).toBe(1);
    // The receipt, read like any other, names the manifest's digest.
    const receipt = await api.app.inject({ url: `/v1/provenance/receipts/${manifest!.receipt_id}`, headers: { authorization: `Bearer ${await api.token('acme', 'reader')}` } });
    expect(receipt.statusCode).toBe(200);
    const statement = parseReceiptStatement(openEnvelope((receipt.json() as { envelope: unknown }).envelope, keys).payload);
    expect(statement.subject[0]!.digest.sha256).toBe(createHash('sha256').update(JSON.stringify(manifest!.envelope)).digest('hex'));

    // globex lost nothing: no manifest of its own, and never acme's; its receipt lookup of acme's id is a plain 404.
    expect((await get('globex')).json()).toEqual({ manifests: [] });
    expect((await api.app.inject({ url: `/v1/provenance/receipts/${manifest!.receipt_id}`, headers: { authorization: `Bearer ${await api.token('globex', 'reader')}` } })).statusCode).toBe(404);
    // The operator's manifest covers every tenant.
    const operator = (await get('summit-internal')).json() as { manifests: { envelope: unknown }[] };
    expect(JSON.parse(openEnvelope(operator.manifests[0]!.envelope, keys).payload.toString('utf8')).scope.tenant).toBe('*');

    for (const bad of ['?limit=0', '?limit=101', '?limit=ten', '?limit=1e400']) {
      const refused = await get('acme', bad);
      expect(refused.statusCode, bad).toBe(400);
      expect((refused.json() as { code: string }).code, bad).toMatch(/^[A-Z_]+$/);
    }
    expect((await api.app.inject({ url: '/v1/provenance/purge-manifests' })).statusCode).toBe(401);
  });
});
