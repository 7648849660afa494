import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClickHouseWarehouse, type Warehouse } from '../../kernel/warehouse/index.ts';
import { MODEL_GENERATORS } from '../../packs/index.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';
import { buildSimulatedFinops, MODELS } from '../../test/support/finops.ts';
import { compileProject } from './compile-project.ts';
import { mergedByKey } from './render-model.ts';
import { RAW_SOURCES } from './raw-sources.ts';
import { runProject } from './run-project.ts';
import { timeOrderedId } from '../../kernel/ids/index.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { IngestPipeline } from '../ingest/index.ts';
import { onServer } from '../../test/support/clickhouse-server.ts';
import { clusterAvailable, useClickHouseCluster } from '../../test/support/clickhouse-cluster.ts';
import type { LocalClickHouseCluster } from '../../dev/index.ts';

/** When and in which import batch a row reached this warehouse: differs between two warehouses loaded one after the other. */
const RUNNABLE = fileURLToPath(new URL('./fixtures/runnable', import.meta.url));

const ARRIVAL = /(ingested|imported|loaded)_at$|^batch_id$/;

/**
 * Every row of `relation` but how it arrived, each as JSON, sorted: two warehouses hold the same rows when these are
 * equal. `mergedByKey`: read deduplicated, as its readers do — it may hold a replaced row until ClickHouse merges.
 */
async function contents(warehouse: Warehouse, relation: string, mergedByKey = false): Promise<string[]> {
  const rows = await warehouse.query(`SELECT * FROM ${mergedByKey ? warehouse.dialect.deduplicated(relation) : relation}`);
  return rows.map((row) => JSON.stringify(Object.entries(row).filter(([column]) => !ARRIVAL.test(column)))).sort();
}

describe.runIf(clusterAvailable())('the shipped models on a ClickHouse cluster (2 shards × 2 replicas) against one server', () => {
  const started = useClickHouseCluster();
  let cluster: LocalClickHouseCluster;
  let sharded: ClickHouseWarehouse;
  let single: ClickHouseWarehouse;
  let targetDir: string;
  const database = `models_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

  beforeAll(async () => {
    cluster = started.cluster;
    sharded = await ClickHouseWarehouse.open({ url: cluster.nodes[0]!.url, database, cluster: cluster.name });
    single = await ClickHouseWarehouse.open({ url: inject('clickhouseUrl')!, database });
    targetDir = await mkdtemp(join(tmpdir(), 'companyos-cluster-build-'));
    for (const warehouse of [sharded, single]) {
      await migratePlatform(warehouse);
      await buildSimulatedFinops(warehouse, targetDir);
    }
  }, 240_000);

  afterAll(async () => {
    await single?.execute(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
    await single?.close();
    await sharded?.close();
    if (targetDir) await rm(targetDir, { recursive: true, force: true });
  });

  it('build every model, twice, to the same rows as on one server, the finops split of shared costs across tenants included', { timeout: 180_000 }, async () => {
    const project = await compileProject(MODELS, RAW_SOURCES, MODEL_GENERATORS);
    const built = [...project.models.values()].filter((m) => m.config.materialized !== 'ephemeral').map((m) => m.name);
    expect(built).toContain('finops_cost_allocation');
    for (let round = 1; round <= 2; round++) {
      for (const warehouse of [sharded, single]) {
        const results = await runProject(warehouse, project, { tenant: 'summit-internal' });
        expect(results.filter((r) => r.status !== 'success').map((r) => [r.model, r.message])).toEqual([]);
      }
      for (const model of built) {
        const merged = mergedByKey(project.models.get(model)!);
        const rows = await contents(sharded, model, merged);
        expect(rows, `${model}, round ${round}`).toEqual(await contents(single, model, merged));
      }
      // Every server swapped: each answers the rows just built, not the last build's (its replica synced first).
      const expected = (await contents(single, 'finops_cost_allocation')).length;
      for (const node of cluster.nodes) {
        await onServer(node.url, `SYSTEM SYNC REPLICA ${database}.finops_cost_allocation_local`);
        const [answer] = await onServer(node.url, `SELECT toString(count()) AS n FROM ${database}.finops_cost_allocation`);
        expect(Number(answer!.n), node.url).toBe(expected);
      }
    }
    expect((await contents(sharded, 'finops_cost_allocation')).length).toBeGreaterThan(0);
    // The models are replicated tables on every server behind Distributed ones.
    const tables = await sharded.query<{ name: string; engine: string }>('SELECT name, engine FROM system.tables WHERE database = currentDatabase()');
    const engines = new Map(tables.map((t) => [t.name, t.engine]));
    expect(engines.get('stg_events')).toBe('View');
    expect(engines.get('finops_cost_allocation')).toBe('Distributed');
    expect(engines.get('finops_cost_allocation_local')).toMatch(/^Replicated/);
    // Staged and retired tables are dropped by DDL the build queues without waiting for: gone once the servers ran it.
    const leftovers = async () => (await Promise.all(cluster.nodes.map((node) => onServer(node.url, `SELECT name FROM system.tables WHERE database = '${database}' AND match(name, '__(new|old)')`)))).flat();
    await expect.poll(leftovers, { timeout: 60_000, interval: 200 }).toEqual([]);
  });

  it('leaves what did not change on every server, and builds what an event stored on one shard reaches', { timeout: 120_000 }, async () => {
    const project = await compileProject(MODELS, RAW_SOURCES, MODEL_GENERATORS);
    const build = async () => {
      const results = await runProject(sharded, project, { stamps: { tenant: 'summit-internal', runId: timeOrderedId() } });
      expect(results.filter((r) => r.status !== 'success').map((r) => [r.model, r.message])).toEqual([]);
      return new Map(results.map((r) => [r.model, r.message]));
    };
    // A merge that drops duplicate events changes their token: the events are merged, and every replica has fetched that, first.
    for (const node of cluster.nodes) await onServer(node.url, `OPTIMIZE TABLE ${database}.events_local FINAL`);
    for (const node of cluster.nodes) await onServer(node.url, `SYSTEM SYNC REPLICA ${database}.events_local`);
    await build();
    const idle = await build();
    expect([...idle].filter(([, message]) => !message.startsWith('unchanged'))).toEqual([]);

    await new IngestPipeline(sharded).ingest([cloudEvent({ id: 'stamped-1', tenantid: 'acme', type: 'notary.calls_total' })], { channel: 'file', submitter: 'acme' });
    const after = await build();
    expect(after.get('meter_notary_calls_total')).toBe('merged');
    expect(after.get('stg_events')).toMatch(/^view in place/);
    expect(after.get('finops_bill_lines')).toMatch(/^unchanged/);
    expect(await contents(sharded, 'meter_notary_calls_total', true)).toEqual(expect.arrayContaining([expect.stringContaining('"acme"')]));
  });

  it('drops what a failed drop or an interrupted build left on one server only before it swaps a model there', { timeout: 120_000 }, async () => {
    const project = await compileProject(MODELS, RAW_SOURCES, MODEL_GENERATORS);
    const [initiator, other] = [cluster.nodes[0]!, cluster.nodes[2]!];
    await onServer(other.url, `CREATE TABLE ${database}.finops_cogs__old_local (x UInt8) ENGINE = MergeTree ORDER BY tuple()`);
    // The staged Distributed table lives on the server the platform talks to only: an interrupted build leaves it there.
    await onServer(initiator.url, `CREATE TABLE ${database}.finops_cogs__new (x UInt8) ENGINE = MergeTree ORDER BY tuple()`);
    const results = await runProject(sharded, project, { models: ['finops_cogs'] });
    expect(results.map((r) => [r.model, r.status, r.status === 'success' ? '' : r.message])).toEqual([['finops_cogs', 'success', '']]);
    expect(await contents(sharded, 'finops_cogs')).toEqual(await contents(single, 'finops_cogs'));
    const left = () => Promise.all([initiator, other].map((node) => onServer(node.url, `SELECT name FROM system.tables WHERE database = '${database}' AND match(name, '^finops_cogs__')`)));
    await expect.poll(left, { timeout: 60_000, interval: 200 }).toEqual([[], []]);
  });

  it("reports a model's SQL error as ClickHouse's, for a view and a table, and skips what reads the failed table", async () => {
    const project = await compileProject(RUNNABLE, { raw: ['events'] });
    const results = await runProject(sharded, project);
    const byModel = new Map(results.map((r) => [r.model, r]));
    expect(byModel.get('counts_by_type')?.status).toBe('success');
    expect(byModel.get('broken_model')).toMatchObject({ status: 'error', message: expect.stringMatching(/no_such_column/) });
    expect(byModel.get('after_broken')?.status).toBe('skipped');
    const dir = await mkdtemp(join(tmpdir(), 'cluster-broken-view-'));
    try {
      await writeFile(join(dir, 'broken_view.sql'), "/*---\nmaterialized: view\n---*/\nSELECT no_such_column FROM {{ source('raw', 'events') }}\n");
      const [view] = await runProject(sharded, await compileProject(dir, { raw: ['events'] }));
      expect(view).toMatchObject({ model: 'broken_view', status: 'error', message: expect.stringMatching(/no_such_column/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("settles what a killed build left queued before a build reads the catalog: every server has run it", { timeout: 150_000 }, async () => {
    const down = cluster.nodes[3]!;
    await down.kill();
    let restarted = false;
    try {
      // As a build killed while it waited for its staged table leaves it: queued for every server, run where one is up.
      await onServer(cluster.nodes[0]!.url, `CREATE TABLE ${database}.queued_probe ON CLUSTER ${cluster.name} (x UInt8) ENGINE = MergeTree ORDER BY tuple()`, { distributed_ddl_task_timeout: '0' });
      let settled = false;
      const settling = sharded.settleDdl().then(() => void (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(settled).toBe(false);
      await down.restart();
      restarted = true;
      await settling;
      expect(await onServer(down.url, `SELECT name FROM system.tables WHERE database = '${database}' AND name = 'queued_probe'`)).toEqual([{ name: 'queued_probe' }]);
    } finally {
      if (!restarted) await down.restart();
      await onServer(cluster.nodes[0]!.url, `DROP TABLE IF EXISTS ${database}.queued_probe ON CLUSTER ${cluster.name}`);
    }
  });
});
