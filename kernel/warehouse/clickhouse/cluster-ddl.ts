import { WarehouseError } from '../errors.ts';
import { assertIdentifier } from '../identifier.ts';

/** One statement of cluster DDL, and the table it creates when it is a `CREATE TABLE IF NOT EXISTS` (skipped where the table is already). */
export interface ClusterStatement {
  sql: string;
  creates?: string;
}

/** How a cluster's tables spread rows: by tenant when they hold one (FINAL and a tenant's aggregates stay exact on its shard), else all on the first shard. */
export function shardKey(byTenant: boolean): string {
  return byTenant ? 'sipHash64(tenant_id)' : '0';
}

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
  rewrite(statement: string): ClusterStatement[] {
    return this.rewriteSql(statement).map((sql) => {
      const creates = /^CREATE TABLE IF NOT EXISTS \w+\.(\w+) /.exec(sql)?.[1];
      return creates ? { sql, creates } : { sql };
    });
  }

  private rewriteSql(statement: string): string[] {
    const on = `ON CLUSTER ${this.cluster}`;
    const db = (name: string) => `${this.database}.${name}`;
    const create = CREATE_MERGE_TREE.exec(statement);
    if (create) {
      const [, ifNotExists = '', name, columns, engine, args, rest] = create as unknown as [string, string | undefined, string, string, string, string | undefined, string];
      const local = ClusterLayout.localName(name);
      const path = `'/clickhouse/tables/{shard}/${this.database}/${name}', '{replica}'`;
      return [
        `CREATE TABLE ${ifNotExists}${db(local)} ${on} (${columns}) ENGINE = Replicated${engine}(${path}${args?.trim() ? `, ${args.trim()}` : ''})${rest}`,
        `CREATE TABLE ${ifNotExists}${db(name)} ${on} AS ${db(local)} ENGINE = Distributed(${this.cluster}, ${this.database}, ${local}, ${shardKey(/^\s*tenant_id\s/m.test(columns))})`,
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

/**
 * A statement of a model's DDL (`ClusterModelBuild`), and how it runs: `wait`, `ON CLUSTER` and waited for on every
 * server; `queue`, `ON CLUSTER` and only queued for them; `here`, on the server the platform talks to alone.
 */
export interface ModelDdl {
  sql: string;
  run: 'wait' | 'queue' | 'here';
}

const waited = (sql: string): ModelDdl => ({ sql, run: 'wait' });
const queued = (sql: string): ModelDdl => ({ sql, run: 'queue' });
const here = (sql: string): ModelDdl => ({ sql, run: 'here' });

/** A column of a model's result, as `DESCRIBE TABLE (SELECT …)` reports it. */
export interface ModelColumn {
  name: string;
  type: string;
}

/**
 * A model built on the cluster beside the one readers use, then swapped in. A table: `name__new_local`
 * on every server (replicated under a ZooKeeper path of its own build, since a replicated table keeps
 * its path through renames) and `name__new`, a Distributed table to insert through, on the server the
 * platform talks to only (nobody else reads it); the swap renames the replicated tables on each server,
 * under the Distributed table `name` readers use. A view: made beside the old one and renamed in its place.
 *
 * Each statement says whether the build waits for every server to run it. Waiting costs at least 100 ms
 * a statement on 18.16 (the initiator looks for the servers' answers in ZooKeeper, then again after
 * 100 ms), while each server runs the cluster's DDL one statement at a time in the order it was queued.
 * So only drops are queued: of leftovers, before the staged tables whose create (waited for) fails where
 * one is still there, and of the retired tables after the swap (nobody reads them; a failed one leaves a
 * leftover the next build drops). The staged replicated table, the swap, and what reports a model's SQL
 * errors are waited for.
 */
export class ClusterModelBuild {
  private readonly on: string;
  private readonly staged: string;
  private readonly stagedLocal: string;

  /** `spread`: how a table model's rows spread (`modelShardKey`); a view's is not used. */
  constructor(
    private readonly layout: ClusterLayout,
    private readonly name: string,
    private readonly build: string,
    private readonly spread = shardKey(false),
  ) {
    assertIdentifier(name);
    assertIdentifier(build);
    this.on = `ON CLUSTER ${layout.cluster}`;
    this.staged = this.qualified(`${name}__new`);
    this.stagedLocal = this.qualified(ClusterLayout.localName(`${name}__new`));
  }

  /** The names an interrupted build or a failed drop may have left on some server (`clearLeftovers`). */
  leftoverNames(): string[] {
    const { name } = this;
    return [`${name}__new`, ClusterLayout.localName(`${name}__new`), `${name}__old`, ClusterLayout.localName(`${name}__old`)];
  }

  /**
   * Drops of `found`, the leftovers some server holds (a drop that failed on one server only left its table there),
   * on every server, queued: a drop that fails again makes the staged create after it fail ("already exists"),
   * which is waited for.
   */
  clearLeftovers(found: readonly string[]): ModelDdl[] {
    return this.leftoverNames().filter((table) => found.includes(table)).map((table) => queued(`DROP TABLE IF EXISTS ${this.qualified(table)} ${this.on}`));
  }

  /** The staged tables for rows of `columns`; with a unique key a ReplacingMergeTree ordered by it. */
  createStaged(columns: readonly ModelColumn[], uniqueKey: readonly string[]): ModelDdl[] {
    const engine = uniqueKey.length ? 'ReplicatedReplacingMergeTree' : 'ReplicatedMergeTree';
    const path = `'/clickhouse/tables/{shard}/${this.layout.database}/${this.name}/${this.build}', '{replica}'`;
    const definitions = columns.map((c) => `${assertIdentifier(c.name)} ${c.type}`).join(', ');
    const order = uniqueKey.length ? `(${uniqueKey.map(assertIdentifier).join(', ')})` : 'tuple()';
    return [
      waited(`CREATE TABLE ${this.stagedLocal} ${this.on} (${definitions}) ENGINE = ${engine}(${path}) ORDER BY ${order}`),
      // Dropped here too: the catalog read and the settle before a build cover what the cluster's servers hold and ran.
      here(`DROP TABLE IF EXISTS ${this.staged}`),
      here(`CREATE TABLE ${this.staged} AS ${this.stagedLocal} ENGINE = ${this.distributed(`${this.name}__new`)}`),
    ];
  }

  /** Where the model's rows are inserted (through the staged Distributed table). */
  get insertTarget(): string {
    return this.staged;
  }

  /**
   * The staged rows in place of the model's. `existing` is what `name` is now; the Distributed table
   * `name` is made again when it is missing, was a view or reads other columns (`sameColumns` false).
   */
  swapIn(existing: 'none' | 'view' | 'table', sameColumns: boolean): ModelDdl[] {
    const [name, local, retiredLocal] = [this.qualified(this.name), this.qualified(ClusterLayout.localName(this.name)), this.qualified(ClusterLayout.localName(`${this.name}__old`))];
    const rename = existing === 'table'
      ? `RENAME TABLE ${local} TO ${retiredLocal}, ${this.stagedLocal} TO ${local} ${this.on}`
      : `RENAME TABLE ${this.stagedLocal} TO ${local} ${this.on}`;
    const remake = existing !== 'table' || !sameColumns;
    return [
      waited(rename),
      ...(remake ? [queued(`DROP TABLE IF EXISTS ${name} ${this.on}`), waited(`CREATE TABLE ${name} ${this.on} AS ${local} ENGINE = ${this.distributed(this.name)}`)] : []),
      here(`DROP TABLE IF EXISTS ${this.staged}`),
      ...(existing === 'table' ? [queued(`DROP TABLE IF EXISTS ${retiredLocal} ${this.on}`)] : []),
    ];
  }

  /** A view over `select` (whose relations are qualified, `clusterDialect`) in place of what `name` is now. */
  replaceWithView(select: string, existing: 'none' | 'view' | 'table'): ModelDdl[] {
    const [name, retired] = [this.qualified(this.name), this.qualified(`${this.name}__old`)];
    const create = waited(`CREATE VIEW ${this.staged} ${this.on} AS ${select}`);
    if (existing === 'none') return [create, waited(`RENAME TABLE ${this.staged} TO ${name} ${this.on}`)];
    return [
      create,
      waited(`RENAME TABLE ${name} TO ${retired}, ${this.staged} TO ${name} ${this.on}`),
      queued(`DROP TABLE IF EXISTS ${retired} ${this.on}`),
      ...(existing === 'table' ? [queued(`DROP TABLE IF EXISTS ${this.qualified(ClusterLayout.localName(this.name))} ${this.on}`)] : []),
    ];
  }

  /** How a table model's rows spread: rows merged by key must meet on one shard, so by tenant only when the key holds the tenant. */
  static modelShardKey(columns: readonly ModelColumn[], uniqueKey: readonly string[]): string {
    return shardKey(columns.some((c) => c.name === 'tenant_id') && (uniqueKey.length === 0 || uniqueKey.includes('tenant_id')));
  }

  private distributed(over: string): string {
    return `Distributed(${this.layout.cluster}, ${this.layout.database}, ${ClusterLayout.localName(over)}, ${this.spread})`;
  }

  private qualified(table: string): string {
    return `${this.layout.database}.${table}`;
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
