import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMigrations, loadMigrationsFrom } from '../migrations.ts';
import { splitStatements } from '../sql-statements.ts';
import { ClusterLayout } from './cluster-ddl.ts';

const KERNEL = fileURLToPath(new URL('./migrations/', import.meta.url));
const FINOPS = fileURLToPath(new URL('../../../packs/finops/migrations/clickhouse/', import.meta.url));
const layout = new ClusterLayout('companyos', 'warehouse');
const sqlOf = (statement: string) => layout.rewrite(statement).map((s) => s.sql);

describe('ClusterLayout: single-server DDL as cluster DDL', () => {
  it('turns every table of the migrations into a replicated local table and a Distributed table over it', async () => {
    const { ledgerDdl } = await loadMigrations(KERNEL);
    const statements = [ledgerDdl, ...(await loadMigrationsFrom([KERNEL, FINOPS])).map((m) => m.sql)].flatMap(splitStatements);
    const creates = statements.filter((s) => /^CREATE TABLE/i.test(s));
    expect(creates.length).toBeGreaterThan(15);
    for (const statement of creates) {
      const name = /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(statement)![1]!;
      const rewritten = layout.rewrite(statement);
      expect(rewritten.map((s) => s.creates)).toEqual([`${name}_local`, name]);
      const [local, distributed, ...more] = rewritten.map((s) => s.sql);
      expect(more).toEqual([]);
      expect(local).toMatch(new RegExp(`^CREATE TABLE IF NOT EXISTS warehouse\\.${name}_local ON CLUSTER companyos \\(`));
      expect(local).toMatch(new RegExp(`ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/warehouse/${name}', '\\{replica\\}'`));
      const tenanted = /^\s*tenant_id\s/m.test(statement);
      expect(distributed).toBe(`CREATE TABLE IF NOT EXISTS warehouse.${name} ON CLUSTER companyos AS warehouse.${name}_local ENGINE = Distributed(companyos, warehouse, ${name}_local, ${tenanted ? 'sipHash64(tenant_id)' : '0'})`);
    }
  });

  it("keeps an engine's arguments after the replication path, and what follows the engine", () => {
    const [local] = sqlOf("CREATE TABLE t (tenant_id String, v UInt8, at DateTime) ENGINE = ReplacingMergeTree(at) PARTITION BY toYYYYMM(at) ORDER BY (tenant_id, v)");
    expect(local).toBe("CREATE TABLE warehouse.t_local ON CLUSTER companyos (tenant_id String, v UInt8, at DateTime) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/warehouse/t', '{replica}', at) PARTITION BY toYYYYMM(at) ORDER BY (tenant_id, v)");
  });

  it('sends mutations to the replicated tables, column changes to both, drops to both', () => {
    expect(sqlOf("ALTER TABLE events DELETE WHERE tenant_id = 'a'")).toEqual(["ALTER TABLE warehouse.events_local ON CLUSTER companyos DELETE WHERE tenant_id = 'a'"]);
    expect(sqlOf('ALTER TABLE events ADD COLUMN region String')).toEqual([
      'ALTER TABLE warehouse.events_local ON CLUSTER companyos ADD COLUMN region String',
      'ALTER TABLE warehouse.events ON CLUSTER companyos ADD COLUMN region String',
    ]);
    expect(sqlOf('DROP TABLE IF EXISTS events')).toEqual([
      'DROP TABLE IF EXISTS warehouse.events ON CLUSTER companyos',
      'DROP TABLE IF EXISTS warehouse.events_local ON CLUSTER companyos',
    ]);
    expect(sqlOf('TRUNCATE TABLE events')).toEqual(['TRUNCATE TABLE warehouse.events_local ON CLUSTER companyos']);
  });

  it('leaves queries and inserts alone, and refuses DDL that would change one server of the cluster only', () => {
    for (const statement of ["SELECT count() FROM events FINAL WHERE tenant_id = 'a'", "INSERT INTO events SELECT * FROM events WHERE 0"]) {
      expect(layout.rewrite(statement).map((s) => s.sql)).toEqual([statement]);
    }
    for (const statement of ['CREATE TABLE m__new ENGINE = MergeTree ORDER BY tuple() AS SELECT 1', 'CREATE VIEW v AS SELECT 1', 'RENAME TABLE a TO b', 'OPTIMIZE TABLE events FINAL', "ALTER TABLE events FREEZE WITH NAME 'x'"]) {
      expect(() => layout.rewrite(statement).map((s) => s.sql), statement).toThrow(/no cluster form here yet/);
    }
  });

  it('refuses a cluster or database name that is not a plain identifier', () => {
    expect(() => new ClusterLayout('a; DROP', 'w')).toThrow();
    expect(() => new ClusterLayout('c', "w'")).toThrow();
  });
});
