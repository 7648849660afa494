import { findClickHouseServer, startLocalClickHouse } from './deploy/clickhouse/local-server.ts';
import { ClickHouseWarehouse, DuckDBWarehouse, CLICKHOUSE_DIALECT, DUCKDB_DIALECT } from './warehouse/index.ts';
const server = await startLocalClickHouse(findClickHouseServer());
const ch = await (ClickHouseWarehouse as any).open({ url: server.url, database: 'default' });
const dd = await DuckDBWarehouse.open(':memory:');
for (const [w, d] of [[dd, DUCKDB_DIALECT], [ch, CLICKHOUSE_DIALECT]] as const) {
  const sub = w.engine === 'duckdb'
    ? `SELECT CAST('100.0000000001' AS DECIMAL(38,10)) AS a, CAST('3' AS DECIMAL(38,10)) AS w, CAST('7.5' AS DECIMAL(38,10)) AS t, 'tenant-acme/db1' AS r`
    : `SELECT toDecimal128('100.0000000001', 10) AS a, toDecimal128('3', 10) AS w, toDecimal128('7.5', 10) AS t, 'tenant-acme/db1' AS r`;
  try {
    console.log(w.engine, await w.query(`SELECT ${d.prorate('a','w','t')} AS p, ${d.prorate('a','w','w')} AS q, ${d.regexpExtract('r', '^tenant-([a-z0-9-]+)/')} AS x, ${d.regexpMatches('r', '^tenant-\\w+')} AS m, ${d.regexpExtract('r', 'db\\d')} AS y FROM (${sub})`));
    console.log(w.engine, await w.query(`SELECT ${d.prorate('a','w','t')} AS p FROM (SELECT ${w.engine==='duckdb' ? "CAST('-999999999.1234567891' AS DECIMAL(38,10))" : "toDecimal128('-999999999.1234567891', 10)"} AS a, ${w.engine==='duckdb' ? "CAST('123456.123' AS DECIMAL(38,10))" : "toDecimal128('123456.123', 10)"} AS w, ${w.engine==='duckdb' ? "CAST('999999.5' AS DECIMAL(38,10))" : "toDecimal128('999999.5', 10)"} AS t)`));
  } catch (e) { console.log(w.engine, (e as Error).message.slice(0, 400)); }
}
await ch.close(); await dd.close(); await server.stop?.(); process.exit(0);
