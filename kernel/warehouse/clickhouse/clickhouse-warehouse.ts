import { createHash, randomUUID } from 'node:crypto';
import { byRelation, type RelationColumn } from '../relation-columns.ts';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { WarehouseError } from '../errors.ts';
import { assertIdentifier } from '../identifier.ts';
import { SerialLock } from '../serial-lock.ts';
import { splitStatements } from '../sql-statements.ts';
import { UniqueWriter, type UniqueStorage } from '../unique-writer.ts';
import type { Dialect, ReclaimReport, RelationKind, Row, SqlValue, UniqueInsert, UniqueInsertResult, Warehouse, WarehouseCapabilities } from '../warehouse.ts';
import { CLICKHOUSE_DIALECT, clusterDialect } from './clickhouse-dialect.ts';
import { ClusterLayout, ClusterModelBuild, type ModelDdl } from './cluster-ddl.ts';
import { bindParams, parseTsvWithTypes, toClickHouseLiteral, toTsvField } from './clickhouse-values.ts';
import { removeFrozenCopies, serverDataRoot } from './frozen-copies.ts';

type Rows = readonly (readonly SqlValue[])[];

/** How long `reclaim` waits for old parts to go: the server's default old_parts_lifetime is 480 s. */
const RECLAIM_WAIT_MS = 600_000;
/** The longest `deleteWhere` waits for ClickHouse to apply its mutation. */
const MUTATION_WAIT_MS = 300_000;

/** How long a build waits for the cluster's queued DDL to run on every server (`settleDdl`). */
const SETTLE_DDL_SECONDS = 20;

/** How often a read of `system.tables` is tried while tables are dropped under it (`droppedUnderCatalogRead`). */
const CATALOG_READ_ATTEMPTS = 8;

/** Keys per existence query: keeps the SQL well under ClickHouse's 256 KiB max_query_size. */
const KEYS_PER_LOOKUP = 1000;


export interface ClickHouseOptions {
  /** HTTP interface, e.g. http://user:password@127.0.0.1:8123 */
  url: string;
  database: string;
  /** A cluster of the server's `remote_servers` (`COMPANYOS_CLICKHOUSE_CLUSTER`): tables replicated and sharded by tenant (`ClusterLayout`). */
  cluster?: string;
}

/**
 * The scale-out warehouse, over ClickHouse's HTTP interface. Several processes
 * may write at once, so dedupe is layered (see kernel/warehouse/README.md):
 * this process's digest index, then a lookup in `<table>_keys` for keys other
 * processes wrote, and ReplacingMergeTree with `FINAL` reads for the rare race
 * in between. ClickHouse has no transactions: `transaction` is absent.
 */
export class ClickHouseWarehouse implements Warehouse {
  readonly engine = 'clickhouse';
  readonly capabilities: WarehouseCapabilities = { transactions: false, duplicatesUntilMerged: true, synchronousMutations: false, concurrentWriters: true, batchWindowMs: 1000 };
  readonly dialect: Dialect;
  private readonly unique: UniqueWriter;
  private readonly columnTypes = new Map<string, Promise<Map<string, string>>>();
  private closed = false;

  private constructor(
    readonly location: string,
    /** The database on the server that holds the platform's tables. */
    readonly database: string,
    private readonly client: ClickHouseClient,
    /** The server's URL as configured (credentials included): what `openSibling` connects with. */
    private readonly url: string,
    /** Set on a cluster: how DDL and system tables span its servers. */
    private readonly cluster?: { layout: ClusterLayout; servers: string },
  ) {
    this.dialect = cluster ? clusterDialect(database) : CLICKHOUSE_DIALECT;
    const storage: UniqueStorage = {
      loadDigests: (spec, since) => this.loadDigests(spec, since),
      storedElsewhere: (spec, rows, digests) => this.storedElsewhere(spec, rows, digests),
      write: (spec, rows) => this.writeUnique(spec, rows),
    };
    this.unique = new UniqueWriter(storage, new SerialLock());
  }

  /** Connects, and creates the database if it does not exist. */
  static async open({ url, database, cluster }: ClickHouseOptions): Promise<ClickHouseWarehouse> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error) {
      throw new WarehouseError(`COMPANYOS_CLICKHOUSE_URL "${url}" is not a URL`, { cause: error });
    }
    const connection = {
      url: parsed.origin,
      username: decodeURIComponent(parsed.username) || 'default',
      password: decodeURIComponent(parsed.password),
      log: { level: ClickHouseLogLevel.OFF },
      request_timeout: 120_000,
    };
    const location = `${parsed.origin}/${assertIdentifier(database)}`;
    const admin = createClient(connection);
    let servers: string | undefined;
    try {
      const ping = await admin.ping();
      if (!ping.success) throw ping.error;
      if (cluster) servers = await clusterServers(admin, cluster);
      // ON CLUSTER DDL waits for every server: only when the database is new, so that a start with a server down goes on.
      if (!cluster || !(await exists(admin, 'SELECT name FROM system.databases WHERE name = ?', [database]))) {
        await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}${cluster ? ` ON CLUSTER ${cluster}` : ''}` });
      }
    } catch (error) {
      if (error instanceof WarehouseError) throw error;
      throw new WarehouseError(`cannot reach ClickHouse at ${parsed.origin}: ${(error as Error).message}`, { cause: error });
    } finally {
      await admin.close();
    }
    // On a cluster an insert answers once a replica of its shard holds the rows, not when this server has
    // queued them; reads and writes go to each shard's first live replica, so a read sees the writes before it.
    // A model's IN and JOIN over Distributed tables run as GLOBAL (their right side read once, whole): exact
    // for the finops models that spread shared costs across tenants, which a per-shard join would not be.
    const settings = cluster
      ? { clickhouse_settings: { insert_distributed_sync: 1 as const, load_balancing: 'in_order' as const, distributed_product_mode: 'global' as const } }
      : {};
    const client = createClient({ ...connection, database, ...settings });
    return new ClickHouseWarehouse(location, database, client, url, cluster ? { layout: new ClusterLayout(cluster, database), servers: servers! } : undefined);
  }

  /** Another database on the same server, with the same credentials (created if missing): a restore drill's scratch. */
  openSibling(database: string): Promise<ClickHouseWarehouse> {
    this.assertOpen();
    return ClickHouseWarehouse.open({ url: this.url, database, cluster: this.cluster?.layout.cluster });
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.assertOpen();
    const bound = bindParams(sql, params);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.client.query({ query: bound, format: 'TabSeparatedWithNamesAndTypes' });
        return parseTsvWithTypes(await result.text()) as T[];
      } catch (error) {
        if (attempt < CATALOG_READ_ATTEMPTS && droppedUnderCatalogRead(bound, error)) {
          await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
          continue;
        }
        throw wrap(error, bound);
      }
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<void> {
    this.assertOpen();
    const statements = splitStatements(bindParams(sql, params));
    // DDL may give a table other columns (a model built again, an ALTER): inserts read them anew — also an insert
    // that read them while the DDL ran.
    const ddl = statements.some((statement) => !/^\s*INSERT\b/i.test(statement));
    if (ddl) this.columnTypes.clear();
    try {
      if (!this.cluster) return await this.commands(statements);
      for (const { sql: statement, creates } of statements.flatMap((s) => this.cluster!.layout.rewrite(s))) {
        // A table this server has was made on every server when it was created (a server that joins later gets
        // its tables by hand: runbooks/scale-out.md): its ON CLUSTER create, which waits for every server, is skipped.
        if (creates && (await this.hasRelation(creates))) continue;
        await this.commands([statement]);
      }
    } finally {
      if (ddl) this.columnTypes.clear();
    }
  }

  /** Statements as they are, in order. */
  private async commands(statements: readonly string[]): Promise<void> {
    for (const statement of statements) {
      try {
        await this.client.command({ query: statement });
      } catch (error) {
        throw wrap(error, statement);
      }
    }
  }

  async deleteWhere(table: string, condition: string, params: readonly SqlValue[] = []): Promise<void> {
    await this.execute(`ALTER TABLE ${assertIdentifier(table)} DELETE WHERE ${condition}`, params);
    // Waited for here: `mutations_sync` is not known to every server this adapter supports.
    const deadline = performance.now() + MUTATION_WAIT_MS;
    for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
      const [pending] = await this.query<{ n: number }>(
        `SELECT count() AS n FROM ${this.systemTable('mutations')} WHERE database = ? AND table = ? AND is_done = 0`,
        [this.database, this.stored(table)],
      );
      if (Number(pending?.n ?? 0) === 0) return;
      if (performance.now() > deadline) throw new WarehouseError(`the delete from ${table} was still being applied after ${MUTATION_WAIT_MS / 1000} s; it goes on in ClickHouse (system.mutations)`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /**
   * Per table, a digest of each partition's newest block, rows and newest mutation over every server's active parts:
   * an insert adds a block, a delete or update mutates, a drop or truncate removes parts. A merge keeps the newest
   * block; it changes the rows only where it drops duplicates, and the mutation only where it merges a mutated part
   * with newer ones (a needless rebuild, never a missed one). A part's `data_version` is its first block unless a
   * mutation rewrote it, when it is the mutation's, newer than any block of the part.
   */
  async changeTokens(tables: readonly string[]): Promise<Map<string, string>> {
    if (tables.length === 0) return new Map();
    const tokens = new Map(tables.map((table) => [table, createHash('sha256')]));
    const stored = new Map(tables.map((table) => [this.stored(table), table]));
    const partitions = await this.query<{ table: string; partition_id: string; block: string; rows: string; version: string }>(
      `SELECT table, partition_id, toString(max(max_block_number)) AS block, toString(sum(rows)) AS rows, toString(max(if(data_version > max_block_number, data_version, 0))) AS version
       FROM ${this.systemTable('parts')} WHERE database = ? AND active AND table IN (${tables.map(() => '?').join(', ')})
       GROUP BY table, partition_id ORDER BY table, partition_id`,
      [this.database, ...stored.keys()],
    );
    for (const row of partitions) tokens.get(stored.get(row.table)!)!.update(`${row.partition_id}:${row.block}:${row.rows}:${row.version}\n`);
    return new Map([...tokens].map(([table, hash]) => [table, hash.digest('hex')]));
  }

  /**
   * A mutation (`deleteWhere`) writes new parts without the deleted rows; the old parts stay on
   * disk, inactive, until the server's `old_parts_lifetime` (merge_tree setting, 480 s by default)
   * has passed. This waits until the parts of `tables` inactive now are gone (parts that become
   * inactive later were written after the deletes, so they hold none of it).
   */
  async reclaim(tables: readonly string[]): Promise<ReclaimReport> {
    const started = performance.now();
    const inactive = async () => new Set((await this.query<{ part: string }>(
      `SELECT concat(hostName(), ':', table, '/', name) AS part FROM ${this.systemTable('parts')} WHERE database = ? AND active = 0 AND table IN (${tables.map(() => '?').join(', ')})`,
      [this.database, ...tables.map((table) => this.stored(table))],
    )).map((row) => row.part));
    const replaced = await inactive();
    for (let pause = 100; ; pause = Math.min(pause * 2, 5_000)) {
      const now = await inactive();
      const left = [...replaced].filter((part) => now.has(part));
      if (left.length === 0) {
        const frozenCopies = await this.removeFrozenCopies(tables);
        return { engine: 'clickhouse', tables: [...tables], rowsRewritten: 0, blocksScrubbed: 0, seconds: (performance.now() - started) / 1000, scrubSeconds: 0, frozenCopies };
      }
      if (performance.now() - started > RECLAIM_WAIT_MS) {
        throw new WarehouseError(`${left.length} replaced parts (${left.slice(0, 3).join(', ')}) were still on disk after ${RECLAIM_WAIT_MS / 1000} s; lower the server's merge_tree old_parts_lifetime`);
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** Where the server keeps its files (`<path>`), when this machine is its host; otherwise why not. */
  async serverDataRoot(): Promise<{ root: string } | { unreachable: string }> {
    const [table] = await this.query<{ data_path: string }>("SELECT data_path FROM system.tables WHERE database = currentDatabase() AND data_path != '' LIMIT 1");
    return table ? serverDataRoot(table.data_path, this.database) : { unreachable: `${this.database} has no table stored on disk` };
  }

  /** Frozen copies of `tables` hold what deletes removed: gone too, where this machine can reach the server's files. */
  private async removeFrozenCopies(tables: readonly string[]): Promise<{ removed: number } | { unchecked: string }> {
    const found = await this.serverDataRoot();
    if ('unreachable' in found) return { unchecked: found.unreachable };
    return { removed: await removeFrozenCopies(found.root, this.database, tables) };
  }

  async insert(table: string, columns: readonly string[], rows: Rows): Promise<number> {
    this.assertOpen();
    if (rows.length === 0) return 0;
    const types = await this.tableColumns(table);
    if (columns.length !== types.size || columns.some((c) => !types.has(c))) {
      throw new WarehouseError(`insert into ${table} must list every column (${[...types.keys()].join(', ')}); got ${columns.join(', ')}`);
    }
    // ClickHouse 18 stores NULL in a non-Nullable column as the type's default ('' or 0): refuse it here instead.
    const required = columns.flatMap((c, i) => (types.get(c)!.startsWith('Nullable(') ? [] : [i]));
    rows.forEach((row, r) => {
      for (const i of required) {
        if (row[i] === null || row[i] === undefined) {
          throw new WarehouseError(`insert into ${table}: row ${r} has no value for ${columns[i]}, which cannot be NULL`);
        }
      }
    });
    const body = rows.map((row) => row.map(toTsvField).join('\t')).join('\n') + '\n';
    try {
      await this.client.insert({
        table,
        values: Readable.from([Buffer.from(body)], { objectMode: false }),
        format: 'TabSeparated',
        columns: columns as [string, ...string[]],
      });
    } catch (error) {
      throw wrap(error, `insert into ${table}`);
    }
    return rows.length;
  }

  /** The file is streamed as it is: ClickHouse's CSVWithNames reads `\N` as NULL and "" as a quote. */
  async insertCsv(table: string, columns: readonly string[], path: string): Promise<void> {
    this.assertOpen();
    try {
      await this.client.insert({
        table: assertIdentifier(table),
        values: createReadStream(path),
        format: 'CSVWithNames',
        columns: columns as [string, ...string[]],
      });
    } catch (error) {
      throw wrap(error, `insert ${path} into ${table}`);
    }
  }

  insertUnique(spec: UniqueInsert, rows: Rows, digests?: readonly Uint8Array[]): Promise<UniqueInsertResult> {
    return this.unique.insert(spec, rows, digests);
  }

  /**
   * DROP TABLE drops views too. A table is built beside the old one, then
   * swapped in; with a unique key it is a ReplacingMergeTree ordered by it (the
   * key columns cannot be Nullable there), so `mergeInto` replaces by key.
   */
  async materialize(name: string, kind: RelationKind, select: string, uniqueKey: readonly string[] = []): Promise<void> {
    assertIdentifier(name);
    uniqueKey.forEach(assertIdentifier);
    if (this.cluster) return this.materializeOnCluster(name, kind, select, uniqueKey);
    const engine = uniqueKey.length ? `ReplacingMergeTree ORDER BY (${uniqueKey.join(', ')})` : 'MergeTree ORDER BY tuple()';
    // Built beside the old one and swapped in by one RENAME, so a reader never finds `name` missing
    // (no CREATE OR REPLACE or EXCHANGE TABLES in 18.16); leftovers of an interrupted swap go first.
    const [staged, retired] = [`${name}__new`, `${name}__old`];
    await this.execute(`DROP TABLE IF EXISTS ${staged}`);
    await this.execute(`DROP TABLE IF EXISTS ${retired}`);
    await this.execute(kind === 'view' ? `CREATE VIEW ${staged} AS ${select}` : `CREATE TABLE ${staged} ENGINE = ${engine} AS ${select}`);
    if (!(await this.hasRelation(name))) {
      await this.execute(`RENAME TABLE ${staged} TO ${name}`);
      return;
    }
    await this.execute(`RENAME TABLE ${name} TO ${retired}, ${staged} TO ${name}`);
    await this.execute(`DROP TABLE ${retired}`);
  }

  /** `materialize` on a cluster: the model's rows sharded like the platform's tables (`ClusterModelBuild`). */
  private async materializeOnCluster(name: string, kind: RelationKind, select: string, uniqueKey: readonly string[]): Promise<void> {
    const layout = this.cluster!.layout;
    const buildId = `b${randomUUID().replaceAll('-', '')}`;
    // What `name` is now, and what earlier builds left on any server, in one read of every server's catalog
    // (builds take turns cluster-wide: no other build makes these names meanwhile).
    const found = await this.query<{ name: string; engine: string }>(
      `SELECT name, any(engine) AS engine FROM ${this.systemTable('tables')} WHERE database = ? AND name IN (?, ?, ?, ?, ?) GROUP BY name`,
      [layout.database, name, ...new ClusterModelBuild(layout, name, buildId).leftoverNames()],
    );
    const engine = found.find((table) => table.name === name)?.engine;
    const existing = engine === undefined ? 'none' : engine === 'View' ? 'view' : 'table';
    const leftovers = found.map((table) => table.name).filter((table) => table !== name);
    if (kind === 'view') {
      const build = new ClusterModelBuild(layout, name, buildId);
      return this.modelDdl([...build.clearLeftovers(leftovers), ...build.replaceWithView(select, existing)]);
    }
    const columns = (await this.query<{ name: string; type: string }>(`DESCRIBE TABLE (${select})`)).map(({ name: column, type }) => ({ name: column, type }));
    const build = new ClusterModelBuild(layout, name, buildId, ClusterModelBuild.modelShardKey(columns, uniqueKey));
    await this.modelDdl([...build.clearLeftovers(leftovers), ...build.createStaged(columns, uniqueKey)]);
    await this.commands([`INSERT INTO ${build.insertTarget} ${select}`]);
    const current = existing === 'table' ? await this.columns(name) : [];
    const sameColumns = current.length === columns.length && current.every((c, i) => c.name === columns[i]!.name && c.type === columns[i]!.type);
    await this.modelDdl(build.swapIn(existing, sameColumns));
    this.columnTypes.delete(name);
  }

  /** A model's DDL in order, each statement waited for on every server, only queued, or run on this server (`ModelDdl`). */
  private async modelDdl(statements: readonly ModelDdl[]): Promise<void> {
    for (const { sql, run } of statements) {
      try {
        await this.client.command({ query: sql, ...(run === 'queue' ? { clickhouse_settings: { distributed_ddl_task_timeout: '0' } } : {}) });
      } catch (error) {
        throw wrap(error, sql);
      }
    }
  }

  /**
   * On a cluster, one `ON CLUSTER` statement waited for: each server runs the cluster's DDL in queue order, so once
   * every server has run it, they have run what was queued before it (a killed build's creates and swaps). Waited for
   * `SETTLE_DDL_SECONDS` at most: with a server down the build goes on, and a model that meets what is still queued
   * fails on its own, as its own cluster DDL would.
   */
  async settleDdl(): Promise<void> {
    if (!this.cluster) return;
    const sql = `CREATE DATABASE IF NOT EXISTS ${this.cluster.layout.database} ON CLUSTER ${this.cluster.layout.cluster}`;
    await this.client.command({ query: sql, clickhouse_settings: { distributed_ddl_task_timeout: String(SETTLE_DDL_SECONDS) } }).catch(() => undefined);
  }

  /** An insert: a table made with a unique key is a ReplacingMergeTree, which keeps the later row per key. */
  async mergeInto(name: string, select: string): Promise<void> {
    await this.execute(`INSERT INTO ${assertIdentifier(name)} ${select}`);
  }

  async hasRelation(name: string): Promise<boolean> {
    const rows = await this.query('SELECT name FROM system.tables WHERE database = currentDatabase() AND name = ?', [name]);
    return rows.length > 0;
  }

  columns(name: string): Promise<{ name: string; type: string }[]> {
    return this.query<{ name: string; type: string }>('SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ?', [name]);
  }

  async columnsOf(names: readonly string[]): Promise<Map<string, RelationColumn[]>> {
    if (names.length === 0) return new Map();
    return byRelation(await this.query<RelationColumn & { relation: string }>(
      `SELECT table AS relation, name, type FROM system.columns WHERE database = currentDatabase() AND table IN (${names.map(() => '?').join(', ')})`,
      names,
    ));
  }

  transaction<T>(): Promise<T> {
    return Promise.reject(new WarehouseError('ClickHouse has no transactions (capabilities.transactions is false).'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  private async writeUnique(spec: UniqueInsert, rows: Rows): Promise<void> {
    if (rows.length === 0) return;
    // The rows first, then their keys: a crash in between leaves a row whose key
    // is not recorded, so a retry may store it again — and FINAL reads hide that.
    await this.insert(spec.table, spec.columns, rows);
    const keyColumns = [...spec.key, spec.windowColumn];
    const at = keyColumns.map((c) => spec.columns.indexOf(c));
    await this.insert(keysTable(spec), keyColumns, rows.map((row) => at.map((i) => row[i]!)));
  }

  private async storedElsewhere(spec: UniqueInsert, rows: Rows, digests: readonly Uint8Array[]): Promise<boolean[]> {
    const found = new Set<string>();
    for (const condition of keyLookups(spec, rows)) {
      const result = await this.query<{ d: string }>(
        `SELECT DISTINCT ${digestSql(spec.key)} AS d FROM ${keysTable(spec)} WHERE ${condition}`,
      );
      for (const { d } of result) found.add(d);
    }
    return digests.map((digest) => found.has(Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex')));
  }

  private async *loadDigests(spec: UniqueInsert, since: Date): AsyncIterable<string> {
    const sql = bindParams(
      `SELECT ${digestSql(spec.key)} FROM ${keysTable(spec)} WHERE ${assertIdentifier(spec.windowColumn)} >= ?`,
      [since],
    );
    try {
      const result = await this.client.query({ query: sql, format: 'TabSeparated' });
      for await (const rows of result.stream()) for (const row of rows) yield row.text;
    } catch (error) {
      throw wrap(error, sql);
    }
  }

  private tableColumns(table: string): Promise<Map<string, string>> {
    let columns = this.columnTypes.get(table);
    if (!columns) {
      columns = this.query<{ name: string; type: string }>(`DESCRIBE TABLE ${assertIdentifier(table)}`).then(
        (rows) => new Map(rows.map((r) => [r.name, r.type])),
      );
      columns.catch(() => this.columnTypes.delete(table));
      this.columnTypes.set(table, columns);
    }
    return columns;
  }

  /** A system table of this server, or of every server of the cluster (`remote`, one address a shard). */
  private systemTable(name: string): string {
    return this.cluster ? `remote('${this.cluster.servers}', system, ${assertIdentifier(name)})` : `system.${assertIdentifier(name)}`;
  }

  /** The table that holds `table`'s parts: itself, or on a cluster the replicated table behind it. */
  private stored(table: string): string {
    return this.cluster ? ClusterLayout.localName(table) : table;
  }

  private assertOpen(): void {
    if (this.closed) throw new WarehouseError('the warehouse is closed');
  }
}

async function exists(admin: ClickHouseClient, sql: string, params: readonly SqlValue[]): Promise<boolean> {
  const result = await admin.query({ query: bindParams(sql, params), format: 'JSONEachRow' });
  return (await result.json()).length > 0;
}

/** Every server of `cluster` as `remote()` addresses (`host:port,host:port`); refused when the server does not know the cluster. */
async function clusterServers(admin: ClickHouseClient, cluster: string): Promise<string> {
  const result = await admin.query({ query: bindParams('SELECT host_address, port FROM system.clusters WHERE cluster = ?', [cluster]), format: 'JSONEachRow' });
  const rows = await result.json<{ host_address: string; port: number }>();
  if (rows.length === 0) throw new WarehouseError(`COMPANYOS_CLICKHOUSE_CLUSTER is "${cluster}", which this server's remote_servers does not define`);
  return rows.map((row) => `${row.host_address}:${row.port}`).join(',');
}

/**
 * WHERE conditions that find these rows' keys, at most KEYS_PER_LOOKUP keys
 * each: keys grouped by their leading columns, the last one as an `IN` list —
 * `tenant_id = 'a' AND source = 's' AND id IN ('1', '2')` parses three times
 * faster than a list of tuples, and still uses the primary index.
 */
function keyLookups(spec: UniqueInsert, rows: Rows): string[] {
  const at = spec.key.map((c) => spec.columns.indexOf(c));
  const last = spec.key.at(-1)!;
  const groups = new Map<string, { prefix: string; values: string[] }>();
  for (const row of rows) {
    const prefix = at.slice(0, -1).map((i, k) => `${spec.key[k]} = ${toClickHouseLiteral(row[i]!)}`);
    const group = groups.get(prefix.join(' AND ')) ?? { prefix: prefix.join(' AND '), values: [] };
    groups.set(group.prefix, group);
    group.values.push(toClickHouseLiteral(row[at.at(-1)!]!));
  }
  const conditions: string[] = [];
  let batch: string[] = [];
  let size = 0;
  for (const { prefix, values } of groups.values()) {
    for (let start = 0; start < values.length; start += KEYS_PER_LOOKUP) {
      const slice = values.slice(start, start + KEYS_PER_LOOKUP);
      if (size + slice.length > KEYS_PER_LOOKUP && batch.length) {
        conditions.push(batch.join(' OR '));
        batch = [];
        size = 0;
      }
      batch.push(`(${prefix ? `${prefix} AND ` : ''}${last} IN (${slice.join(', ')}))`);
      size += slice.length;
    }
  }
  if (batch.length) conditions.push(batch.join(' OR '));
  return conditions;
}

/** Where ClickHouse keeps the dedupe keys of `spec.table`: `<table>_keys`, ordered by the key. */
function keysTable(spec: UniqueInsert): string {
  return assertIdentifier(`${spec.table}_keys`);
}

/** The same digest as `dedupeDigest`, computed by ClickHouse (`length` counts bytes). */
function digestSql(key: readonly string[]): string {
  const pieces = key.map((c) => `toString(length(${assertIdentifier(c)})), ':', ${c}`).join(', ');
  return `lower(hex(MD5(concat(${pieces}))))`;
}

/**
 * ClickHouse 18.16 reads every table's metadata file for each `system.tables` row, whatever the query
 * selects or filters, so a table dropped meanwhile (another model's staged table, models built side by
 * side) fails the read with "Table … doesn't exist" (code 60, which `system.tables` itself never
 * is): the read is tried again.
 */
function droppedUnderCatalogRead(sql: string, error: unknown): boolean {
  // 18.16's answer lacks the "(UNKNOWN_TABLE)" suffix the client parses a code from: read from the message.
  return /\bsystem(\.|, )tables\b/.test(sql) && error instanceof Error && /^Code: 60,/.test(error.message);
}

function wrap(error: unknown, what: string): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const message = error instanceof Error ? error.message.replace(/, e\.what\(\) = DB::Exception\s*$/, '') : String(error);
  return new WarehouseError(`ClickHouse failed (${what.slice(0, 200)}): ${message}`, { cause: error });
}
