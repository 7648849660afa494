import { describe, expect, it } from 'vitest';
import { stateOptionsFor, TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { createHash } from 'node:crypto';
import { openEnvelope, parseReceiptStatement } from '../../kernel/ledger/index.ts';
import type { SqlValue, TableDefinition, Warehouse } from '../../kernel/warehouse/index.ts';
import { createPlatform, platformTables } from '../../surfaces/compose/index.ts';
import { AdjustableClock } from '../workflows/index.ts';
import { readable } from './expire-rows.ts';
import { expiringTables, PURGE_MANIFEST_PAYLOAD_TYPE, type PurgeManifest, type RetentionWindows } from './index.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const NOW = new Date('2026-06-03T12:00:00.000Z');
const WINDOWS: RetentionWindows = { 'raw-events': 10, quarantine: 5, bills: 20, 'run-history': 3, 'decision-log': 7, evidence: 30, audit: 40, 'financial-record': 60 };

/** A row of `table` for `tenant` whose `expiresBy` is `at`; every other text column unique to the row, so no engine merges two. */
function rowOf(table: TableDefinition, tenant: string, at: Date, tag: string): SqlValue[] {
  return table.columns.map((column) => {
    if (column.name === 'tenant_id') return tenant;
    if (column.name === table.expiresBy) return at;
    switch (column.type) {
      case 'timestamp': return at;
      case 'json': return '{}';
      case 'bigint': case 'integer': case 'count': return 1;
      case 'flag': return false;
      case 'decimal': return '1.5';
      default: return `${column.name}-${tag}`;
    }
  });
}

/** For every expiring table and both tenants: one row just past its window, one just inside. */
async function plant(warehouse: Warehouse, tables: ReturnType<typeof expiringTables>): Promise<void> {
  for (const table of tables) {
    const windowMs = WINDOWS[table.retention]! * DAY_MS;
    const rows = ['acme', 'globex'].flatMap((tenant) => [
      rowOf(table, tenant, new Date(NOW.getTime() - windowMs - HOUR_MS), `${tenant}-old`),
      rowOf(table, tenant, new Date(NOW.getTime() - windowMs + HOUR_MS), `${tenant}-young`),
    ]);
    await warehouse.insert(table.name, table.columns.map((c) => c.name), rows);
  }
}

describe.each(TEST_ENGINES)('retention on %s', (engine) => {
  const db = useWarehouse(engine);

  async function platformAt(at: Date) {
    const clock = new AdjustableClock();
    clock.set(at);
    const platform = await createPlatform({ warehouse: db.warehouse, state: stateOptionsFor(db.warehouse), retention: { windows: WINDOWS, clock } });
    return { platform, clock };
  }

  const opened = (envelope: unknown, keys: Parameters<typeof openEnvelope>[1]) => {
    const { payloadType, payload } = openEnvelope(envelope, keys);
    expect(payloadType).toBe(PURGE_MANIFEST_PAYLOAD_TYPE);
    return JSON.parse(payload.toString('utf8')) as PurgeManifest;
  };

  it('expires every data class at its window, tenant by tenant, and records signed purge manifests', async () => {
    const tables = expiringTables(platformTables());
    // The warehouse's classes; those of the state store (evidence, audit, financial-record) are state-retention.test.ts's.
    expect(new Set(tables.map((t) => t.retention))).toEqual(new Set(['raw-events', 'quarantine', 'bills', 'run-history', 'decision-log']));
    await plant(db.warehouse, tables);
    const { platform } = await platformAt(NOW);
    try {
      const manifest = (await platform.retention!.runIfDue())!;
      for (const table of tables) {
        const left = await db.warehouse.query<{ tenant_id: string; n: number }>(
          `SELECT tenant_id, count(*) AS n FROM ${readable(db.warehouse, table)} GROUP BY tenant_id ORDER BY tenant_id`,
        );
        expect(left.map((r) => [r.tenant_id, Number(r.n)]), table.name).toEqual([['acme', 1], ['globex', 1]]);
      }
      const perClass = (cls: string) => 2 * tables.filter((t) => t.retention === cls).length;
      expect(manifest.counts).toEqual(Object.fromEntries(Object.keys(WINDOWS).map((c) => [c, perClass(c)])));
      expect(manifest.scope.tenant).toBe('*');
      expect(manifest.tombstones).toHaveLength(tables.length);

      const keys = platform.ledger.keyring;
      const operator = await platform.retention!.manifests(platform.operatorTenant);
      expect(operator).toHaveLength(1);
      expect(opened(operator[0]!.envelope, keys)).toEqual(manifest);

      // Each tenant's manifest names its own rows only, with the cutoff and the time range that went.
      for (const tenant of ['acme', 'globex']) {
        const [own] = await platform.retention!.manifests(tenant);
        const body = opened(own!.envelope, keys);
        expect(body.scope.tenant).toBe(tenant);
        expect(body.purgeId).toBe(manifest.purgeId);
        expect(body.tombstones).toHaveLength(tables.length);
        for (const t of body.tombstones) {
          expect(t.tenant).toBe(tenant);
          expect(t.rows).toBe(1);
          const windowMs = WINDOWS[t.dataClass]! * DAY_MS;
          // The adjustable clock runs on from NOW while the test runs.
          expect(Date.parse(t.cutoff) - (NOW.getTime() - windowMs)).toBeGreaterThanOrEqual(0);
          expect(Date.parse(t.cutoff) - (NOW.getTime() - windowMs)).toBeLessThan(60_000);
          expect(t.from).toBe(new Date(NOW.getTime() - windowMs - HOUR_MS).toISOString());
        }
      }
      expect(await platform.retention!.manifests('initech')).toEqual([]);

      // Each manifest is receipted in its tenant's own log, the receipt naming the SHA-256 of the signed manifest as stored.
      for (const tenant of [platform.operatorTenant, 'acme', 'globex']) {
        const [own] = await platform.retention!.manifests(tenant);
        const entry = await platform.ledger.entryByReceipt(tenant, `purge-${manifest.purgeId}`);
        const statement = parseReceiptStatement(openEnvelope(JSON.parse(entry!.entry), keys).payload);
        expect(statement.predicate).toMatchObject({ action: 'retention.purged', actor: 'retention', tenant });
        expect(statement.subject[0]).toEqual({ name: `purge-manifest/${manifest.purgeId}`, digest: { sha256: createHash('sha256').update(JSON.stringify(own!.envelope)).digest('hex') } });
      }
      expect(await platform.ledger.entryByReceipt('initech', `purge-${manifest.purgeId}`)).toBeUndefined();
    } finally {
      await platform.close();
    }
  });

  it('writes a manifest in a week that deleted nothing, runs once a week, and once for two sweeps at a time', async () => {
    const { platform, clock } = await platformAt(NOW);
    try {
      const [first, again] = await Promise.all([platform.retention!.runIfDue(), platform.retention!.runIfDue()]);
      expect(first).toBeDefined();
      expect(again).toBe(first);
      expect(Object.values(first!.counts)).toEqual(Object.keys(WINDOWS).map(() => 0));
      expect(first!.tombstones).toEqual([]);

      clock.set(new Date(NOW.getTime() + 7 * DAY_MS - HOUR_MS));
      expect(await platform.retention!.runIfDue()).toBeUndefined();
      clock.set(new Date(NOW.getTime() + 7 * DAY_MS + 60_000));
      const next = await platform.retention!.runIfDue();
      expect(next?.purgeId).not.toBe(first!.purgeId);
      const recorded = await platform.retention!.manifests(platform.operatorTenant);
      expect(recorded.map((m) => m.purgeId)).toEqual([next!.purgeId, first!.purgeId]);
    } finally {
      await platform.close();
    }
  });
});
