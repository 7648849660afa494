import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWarehouse, type Warehouse } from '../../kernel/warehouse/index.ts';
import { IngestPipeline } from '../ingest/index.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { ChangeLog } from './change-log.ts';
import { decodeRow } from './change-values.ts';
import { LoggedWarehouse } from './logged-warehouse.ts';

describe('LoggedWarehouse on duckdb', () => {
  let inner: Warehouse | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await inner?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A migrated warehouse whose writes go through a LoggedWarehouse into `log`, and ingest on top of it. */
  async function loggedPipeline(): Promise<{ log: ChangeLog; pipeline: IngestPipeline; warehouse: Warehouse; dataDir: string }> {
    const dataDir = (dir = await mkdtemp(join(tmpdir(), 'companyos-logged-')));
    const warehouse = (inner = await openWarehouse({ engine: 'duckdb', dataDir }));
    await migratePlatform(warehouse);
    const log = new ChangeLog();
    return { log, pipeline: new IngestPipeline(new LoggedWarehouse(warehouse, log, join(dataDir, 'spool'))), warehouse, dataDir };
  }

  /** The events rows the log recorded as inserted: tenant, id and ingested_at, as the log would restore them. */
  function loggedEvents(log: ChangeLog): { tenant_id: unknown; id: unknown; ingested_at: unknown }[] {
    return log.take().flatMap(({ change }) => {
      if (change.op !== 'insert' || change.table !== 'events') return [];
      const at = (name: string) => change.columns.indexOf(name);
      return change.rows.map(decodeRow).map((row) => ({ tenant_id: row[at('tenant_id')], id: row[at('id')], ingested_at: row[at('ingested_at')] }));
    });
  }

  it("passes a cluster's DDL settle through (a build under continuous backup settles what a killed build queued)", async () => {
    const { warehouse, dataDir } = await loggedPipeline();
    let settled = 0;
    const cluster: Warehouse = Object.assign(Object.create(warehouse) as Warehouse, { settleDdl: async () => void settled++ });
    const logged = new LoggedWarehouse(cluster, new ChangeLog(), join(dataDir, 'spool'));
    await logged.settleDdl?.();
    expect(settled).toBe(1);
    expect(new LoggedWarehouse(warehouse, new ChangeLog(), join(dataDir, 'spool')).settleDdl).toBeUndefined();
  });

  it('logs events as stored: an ingested_at the warehouse moved to keep commit order is logged moved', async () => {
    const { log, pipeline, warehouse, dataDir } = await loggedPipeline();
    const context = { channel: 'http' as const, submitter: 'acme' };
    await pipeline.ingest([cloudEvent({ id: 'later' })], { ...context, receivedAt: new Date('2026-11-22T12:00:00Z') });
    // Received earlier, stored after: written 1 ms after the last stamp, and logged so, or a restore would differ.
    await pipeline.ingest([cloudEvent({ id: 'earlier' })], { ...context, receivedAt: new Date('2026-11-22T11:00:00Z') });
    const stored = await warehouse.query<{ id: string; ingested_at: Date }>('SELECT id, ingested_at FROM events ORDER BY ingested_at');
    expect(stored.map((r) => [r.id, r.ingested_at.toISOString()])).toEqual([
      ['later', '2026-11-22T12:00:00.000Z'],
      ['earlier', '2026-11-22T12:00:00.001Z'],
    ]);
    const logged = loggedEvents(log).map((r) => [r.id, (r.ingested_at as Date).toISOString()]);
    expect(logged).toEqual(stored.map((r) => [r.id, r.ingested_at.toISOString()]));

    // After a restart the order goes on from what is stored.
    await warehouse.close();
    const reopened = (inner = await openWarehouse({ engine: 'duckdb', dataDir }));
    await new IngestPipeline(reopened).ingest([cloudEvent({ id: 'after-restart' })], { ...context, receivedAt: new Date('2026-11-22T10:00:00Z') });
    const [restarted] = await reopened.query<{ at: Date }>("SELECT ingested_at AS at FROM events WHERE id = 'after-restart'");
    expect(restarted!.at.toISOString()).toBe('2026-11-22T12:00:00.002Z');
  });

  it('logs what was stored when two tenants\' writers race, each received before the other\'s last write', async () => {
    const { log, pipeline, warehouse } = await loggedPipeline();
    const base = Date.parse('2026-11-22T12:00:00Z');
    await pipeline.ingest([cloudEvent({ id: 'first', tenantid: 'acme' })], { channel: 'http', submitter: 'acme', receivedAt: new Date(base - 5_000) });
    // 40 requests at once from two tenants, received in an order that is not the order their writes commit in.
    await Promise.all(Array.from({ length: 40 }, (_, i) => pipeline.ingest(
      [cloudEvent({ id: `e-${i}`, tenantid: i % 2 ? 'acme' : 'globex' }), cloudEvent({ id: `f-${i}`, tenantid: i % 2 ? 'acme' : 'globex' })],
      { channel: 'http', submitter: i % 2 ? 'acme' : 'globex', receivedAt: new Date(base - ((i * 7) % 11) * 1000) },
    )));
    const stored = await warehouse.query<{ tenant_id: string; id: string; ingested_at: Date }>('SELECT tenant_id, id, ingested_at FROM events ORDER BY tenant_id, id');
    expect(stored).toHaveLength(81);
    const logged = loggedEvents(log);
    const key = (r: { tenant_id: unknown; id: unknown }) => `${r.tenant_id}/${r.id}`;
    expect(logged.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(stored);
  });
});
