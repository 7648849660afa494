import { startLocalZooKeeper, ensureZooKeeper } from './zookeeper/local-server.ts';
import { startLocalClickHouseCluster } from './clickhouse/local-cluster.ts';
const zk = await startLocalZooKeeper((ensureZooKeeper() as { binary: string }).binary);
const cluster = await startLocalClickHouseCluster('/usr/sbin/clickhouse-server', zk);
const q = async (url: string, sql: string) => { const r = await fetch(url, { method: 'POST', body: sql }); const t = await r.text(); if (!r.ok) throw new Error(t.slice(0, 250)); return t; };
const u = cluster.nodes[0]!.url;
const db = (n: number) => `${cluster.nodes[n]!.url}/?database=d`;
try {
  await q(u, "CREATE DATABASE d ON CLUSTER companyos");
  await q(u, "CREATE TABLE d.e_local ON CLUSTER companyos (tenant_id String, id String, v UInt32) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/d/e', '{replica}') ORDER BY (tenant_id, id)");
  await q(u, "CREATE TABLE d.e ON CLUSTER companyos AS d.e_local ENGINE = Distributed(companyos, d, e_local, sipHash64(tenant_id))");
  await q(u, "INSERT INTO d.e VALUES ('a','1',1),('b','1',1),('c','2',1),('a','2',2)");
  for (const sql of [
    "DESCRIBE TABLE (SELECT tenant_id, sum(v) AS total FROM e GROUP BY tenant_id)",
    "CREATE VIEW d.v ON CLUSTER companyos AS SELECT tenant_id, sum(v) AS total FROM e GROUP BY tenant_id",
    "SELECT * FROM v ORDER BY tenant_id FORMAT TSV",
    "RENAME TABLE d.e_local TO d.e2_local ON CLUSTER companyos",
    "RENAME TABLE d.e2_local TO d.e_local ON CLUSTER companyos",
    "SELECT count() FROM e WHERE tenant_id IN (SELECT tenant_id FROM e WHERE v = 2)",
    "SELECT count() FROM e WHERE tenant_id IN (SELECT tenant_id FROM e WHERE v = 2) SETTINGS distributed_product_mode = 'local'",
    "SELECT count() FROM e ANY LEFT JOIN (SELECT tenant_id, id, v AS w FROM e) USING (tenant_id, id) SETTINGS distributed_product_mode = 'local'",
    "SELECT count() FROM (SELECT * FROM e) ANY LEFT JOIN (SELECT tenant_id, id, v AS w FROM e) USING (tenant_id, id)",
  ]) { try { console.log(sql, '=>', JSON.stringify(await q(db(1), sql))); } catch (e) { console.log(sql, 'FAILS', String(e).slice(0, 250)); } }
} finally { await cluster.stop(); await zk.stop(); }
