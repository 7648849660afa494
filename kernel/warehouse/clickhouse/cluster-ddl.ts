import { WarehouseError } from '../errors.ts';
import { assertIdentifier } from '../identifier.ts';

/**
 * How the platform's tables are laid out on a ClickHouse cluster (`COMPANYOS_CLICKHOUSE_CLUSTER`):
 * each `CREATE TABLE name … ENGINE = XMergeTree` of a migration becomes `name_local`, a
 * `ReplicatedXMergeTree` on every server (its replicas coordinated through ZooKeeper under
 * `/clickhouse/tables/{shard}/<database>/<name>`), and `name`, a `Distributed` table over them sharded
 * by `sipHash64(tenant_id)`. The rest of the platform reads and writes `name` as on one server; a
 * tenant's rows all live on one shard, so `FINAL` and a tenant's aggregates are exact there.
 * Tables without `tenant_id` (the migrations' record, the readiness probe) live on the first shard.
 */
export class ClusterLayout {
  constructor(
    readonly cluster: string,
    readonly database: string,
  ) {
    assertIdentifier(cluster);
    assertIdentifier(database);
  }

  /** The replicated table on each server behind the Distributed table `name`. */
  static localName(name: string): string {
    return `${name}_local`;
  }

  /**
   * The statements that do on the cluster what `statement` does on one server. Names are qualified:
   * each server runs `ON CLUSTER` DDL in its own default database.
   */
  rewrite(statement: string): string[] {
    const on = `ON CLUSTER ${this.cluster}`;
    const db = (name: string) => `${this.database}.${name}`;
    const create = CREATE_MERGE_TREE.exec(statement);
    if (create) {
      const [, ifNotExists = '', name, columns, engine, args, rest] = create as unknown as [string, string | undefined, string, string, string, string | undefined, string];
      const local = ClusterLayout.localName(name);
      const path = `'/clickhouse/tables/{shard}/${this.database}/${name}', '{replica}'`;
      const shardKey = /^\s*tenant_id\s/m.test(columns) ? 'sipHash64(tenant_id)' : '0';
      return [
        `CREATE TABLE ${ifNotExists}${db(local)} ${on} (${columns}) ENGINE = Replicated${engine}(${path}${args?.trim() ? `, ${args.trim()}` : ''})${rest}`,
        `CREATE TABLE ${ifNotExists}${db(name)} ${on} AS ${db(local)} ENGINE = Distributed(${this.cluster}, ${this.database}, ${local}, ${shardKey})`,
      ];
    }
    const mutation = ALTER_MUTATION.exec(statement);
    if (mutation) return [`ALTER TABLE ${db(ClusterLayout.localName(mutation[1]!))} ${on} ${mutation[2]}`];
    const alterColumns = ALTER_COLUMNS.exec(statement);
    if (alterColumns) {
      const [, name, change] = alterColumns as unknown as [string, string, string];
      return [`ALTER TABLE ${db(ClusterLayout.localName(name))} ${on} ${change}`, `ALTER TABLE ${db(name)} ${on} ${change}`];
    }
    const drop = DROP_TABLE.exec(statement);
    if (drop) {
      const [, ifExists = '', name] = drop as unknown as [string, string | undefined, string];
      return [`DROP TABLE ${ifExists}${db(name)} ${on}`, `DROP TABLE IF EXISTS ${db(ClusterLayout.localName(name))} ${on}`];
    }
    const truncate = TRUNCATE_TABLE.exec(statement);
    if (truncate) return [`TRUNCATE TABLE ${truncate[1] ?? ''}${db(ClusterLayout.localName(truncate[2]!))} ${on}`];
    if (CREATE_DATABASE.test(statement)) return [`${statement} ${on}`];
    if (UNSUPPORTED.test(statement)) {
      throw new WarehouseError(`"${statement.slice(0, 80)}…" has no cluster form here yet (COMPANYOS_CLICKHOUSE_CLUSTER is set): see kernel/warehouse/README.md`);
    }
    return [statement];
  }
}

const CREATE_MERGE_TREE = /^CREATE TABLE (IF NOT EXISTS )?(\w+)\s*\(([\s\S]*)\)\s*ENGINE\s*=\s*(\w*MergeTree)(?:\s*\(([^)]*)\))?([\s\S]*)$/i;
const ALTER_MUTATION = /^ALTER TABLE (\w+)\s+((?:DELETE|UPDATE)\b[\s\S]*)$/i;
const ALTER_COLUMNS = /^ALTER TABLE (\w+)\s+((?:ADD|DROP|MODIFY|COMMENT) COLUMN\b[\s\S]*)$/i;
const DROP_TABLE = /^DROP TABLE (IF EXISTS )?(\w+)\s*$/i;
const TRUNCATE_TABLE = /^TRUNCATE TABLE (IF EXISTS )?(\w+)\s*$/i;
const CREATE_DATABASE = /^CREATE DATABASE (IF NOT EXISTS )?\w+\s*$/i;
/** DDL whose single-server form would act on one server of the cluster only. */
const UNSUPPORTED = /^(CREATE (TABLE|VIEW|MATERIALIZED VIEW)|RENAME TABLE|OPTIMIZE TABLE|ALTER TABLE \w+ (FREEZE|ATTACH|DETACH))\b/i;
