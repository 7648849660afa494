import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness, TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { EVENT_COLUMNS, MigrationError, migrateWarehouse, QUARANTINE_COLUMNS, openWarehouse, WarehouseLockedError, type SqlValue } from './index.ts';
import { packedDigests, unpackDigests } from '../dedupe/index.ts';
import { migrate } from './migrations.ts';
import { DuckDBWarehouse } from './duckdb/duckdb-warehouse.ts';

const EVENTS_UNIQUE = {
  table: 'events', columns: EVENT_COLUMNS, key: ['tenant_id', 'source', 'id'], windowColumn: 'ingested_at', windowDays: 35,
};

const DAY_MS = 86_400_000;
/** A day ago, to the millisecond: well inside the 35-day dedupe window whatever day the suite runs. */
const RECENT = new Date(Math.floor(Date.now() / 1000) * 1000 - DAY_MS + 123);

function eventRow(id: string, tenant = 'acme', source = 'svc/api', at = RECENT) {
  return [tenant, source, id, 'policy.decisions_total', at, null, 'v1', 'pro', null, null, null, null, '{"value":1}', '{}', 'test', at];
}

describe.each(TEST_ENGINES)('warehouse on %s', (engine) => {
  const db = useWarehouse(engine);

  it('migrates once; running migrations again applies nothing', async () => {
    const again = await migrateWarehouse(db.warehouse);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBeGreaterThan(0);
    const tables = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events');
    expect(tables[0]!.n).toBe(0);
  });

  it('refuses a migration that was edited after it was applied', async () => {
    const [applied] = await db.warehouse.query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version LIMIT 1',
    );
    const edited = { version: applied!.version, name: applied!.name, sql: 'SELECT 1', checksum: 'different' };
    await expect(migrate(db.warehouse, { ledgerDdl: 'SELECT 1', migrations: [edited] })).rejects.toBeInstanceOf(MigrationError);
  });

  it('round-trips timestamps, nulls, JSON text and unicode through a bulk insert', async () => {
    const at = new Date('2026-11-02T03:04:05.000Z');
    const rows = [['acme', 'q-1', at, 'http', 0, null, 'src', 'EVENT_MISSING_TENANT', 'naïve 🚀 text', '{"a":[1,2]}']];
    expect(await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, rows)).toBe(1);
    const [row] = await db.warehouse.query('SELECT * FROM events_quarantine WHERE tenant_id = ?', ['acme']);
    expect(row).toMatchObject({ received_at: at, event_id: null, batch_index: 0, reason_text: 'naïve 🚀 text' });
    expect(JSON.parse(row!.payload as string)).toEqual({ a: [1, 2] });
  });

  it('loads a CSV file as written: NULL as \\N, quotes and line breaks in text, exact decimals, UTC times', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-csv-'));
    const path = join(dir, 'true-costs.csv');
    await writeFile(
      path,
      'tenant_id,simulation_id,cost_tenant,period_start,billing_currency,true_cost\n' +
        'acme,"sim ""1""\nline two",t-1,2026-10-01 00:00:00,USD,-12345678901234567890.0123456789\n' +
        'acme,sim-2,t-2,2026-10-31 23:59:59,EUR,0.0000000001\n',
    );
    await db.warehouse.insertCsv('finops_true_costs', ['tenant_id', 'simulation_id', 'cost_tenant', 'period_start', 'billing_currency', 'true_cost'], path);
    const rows = await db.warehouse.query('SELECT simulation_id, period_start, true_cost FROM finops_true_costs ORDER BY cost_tenant');
    expect(rows).toEqual([
      { simulation_id: 'sim "1"\nline two', period_start: new Date('2026-10-01T00:00:00Z'), true_cost: '-12345678901234567890.0123456789' },
      { simulation_id: 'sim-2', period_start: new Date('2026-10-31T23:59:59Z'), true_cost: '0.0000000001' },
    ]);
  });

  it('writes nothing of a bulk insert that fails part-way through', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ['acme', `q-${i}`, new Date(), 'http', i, null, null, 'X', 'x', '{}']);
    rows[2400]![2] = 'not a time' as never; // in the second chunk, after the first is appended
    await expect(db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, rows)).rejects.toThrow();
    await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [rows[0]!]);
    const [count] = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events_quarantine');
    expect(count!.n).toBe(1);
  });

  it('keeps times to the second at least (ClickHouse 18 has no sub-second DateTime)', async () => {
    const at = new Date('2026-11-02T03:04:05.678Z');
    await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [['acme', 'q-1', at, 'http', 0, null, null, 'X', 'x', '{}']]);
    const [row] = await db.warehouse.query<{ received_at: Date }>('SELECT received_at FROM events_quarantine');
    expect(Math.floor(row!.received_at.getTime() / 1000)).toBe(Math.floor(at.getTime() / 1000));
    if (engine === 'duckdb') expect(row!.received_at).toEqual(at);
  });

  it('reads a watermark some seconds back, and bounds times by the first and last it can hold', async () => {
    const at = new Date('2026-11-02T03:00:00Z');
    const { dialect } = db.warehouse;
    const before = `SELECT ${dialect.watermarkBefore('received_at', 7200)} AS w FROM events_quarantine`;
    // Ten minutes after the epoch, two hours back is the epoch (ClickHouse's DateTime would wrap around to 2106).
    await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [['acme', 'q-0', new Date(600_000), 'http', 0, null, null, 'X', 'x', '{}']]);
    expect(await db.warehouse.query(`SELECT quarantine_id FROM events_quarantine WHERE received_at > (${before})`)).toHaveLength(1);
    await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [['acme', 'q-1', at, 'http', 0, null, null, 'X', 'x', '{}']]);
    const [row] = await db.warehouse.query<{ w: Date }>(before);
    expect(row!.w.toISOString()).toBe('2026-11-02T01:00:00.000Z');
    const within = (low: 'earliest' | 'latest', high: 'earliest' | 'latest') =>
      db.warehouse.query(`SELECT quarantine_id FROM events_quarantine WHERE received_at >= ${dialect.timeLimit(low)} AND received_at <= ${dialect.timeLimit(high)}`);
    expect(await within('earliest', 'latest')).toHaveLength(2);
    expect(await within('latest', 'earliest')).toHaveLength(0);
  });

  it('refuses NULL in a column that cannot hold it, naming the column', async () => {
    const row = ['acme', 'q-1', new Date(), 'http', 0, null, null, null, 'reason', '{}'];
    await expect(db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [row])).rejects.toThrow(/reason_code/);
    expect(await db.warehouse.query('SELECT * FROM events_quarantine')).toEqual([]);
  });

  it('accepts columns in any order', async () => {
    const reordered = [...QUARANTINE_COLUMNS].reverse();
    const row = ['p', 'reason', 'CODE', 'src', 'e1', 1, 'kafka', new Date(), 'q-2', 'acme'];
    await db.warehouse.insert('events_quarantine', reordered, [row]);
    const [stored] = await db.warehouse.query('SELECT channel, event_id, reason_code FROM events_quarantine');
    expect(stored).toEqual({ channel: 'kafka', event_id: 'e1', reason_code: 'CODE' });
  });

  it('concurrent inserts each succeed or fail on their own rows (group commit on DuckDB)', async () => {
    const columns = ['tenant_id', 'log_index', 'receipt_id', 'entry', 'leaf_hash', 'disclosures', 'key_id', 'appended_at'];
    const row = (index: SqlValue) => [['t', index, `r-${String(index)}`, '{}', 'ab', '[]', 'k', new Date()]];
    const outcomes = await Promise.allSettled([1, 2, 'not-a-number', 4].map((i) => db.warehouse.insert('ledger_entries', columns, row(i))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const rows = await db.warehouse.query<{ log_index: number }>('SELECT log_index FROM ledger_entries ORDER BY log_index');
    expect(rows.map((r) => Number(r.log_index))).toEqual([1, 2, 4]);
  });

  it('writes each dedupe key once: within a call, across calls, and per tenant', async () => {
    const first = await db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('a'), eventRow('a'), eventRow('b')]);
    expect(first).toEqual({ inserted: 2, duplicate: [false, true, false] });
    const second = await db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('b'), eventRow('a', 'other-tenant'), eventRow('c')]);
    expect(second).toEqual({ inserted: 2, duplicate: [true, false, false] });
    const [count] = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events');
    expect(count!.n).toBe(4);
  });

  it('dedupes on digests computed elsewhere (a screening thread\'s) as on its own, and refuses digests that do not fit the rows', async () => {
    const rows = [eventRow('a'), eventRow('a'), eventRow('b')];
    const given = unpackDigests(packedDigests(rows, [0, 1, 2]));
    expect(await db.warehouse.insertUnique(EVENTS_UNIQUE, rows, given)).toEqual({ inserted: 2, duplicate: [false, true, false] });
    expect(await db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('b'), eventRow('c')])).toEqual({ inserted: 1, duplicate: [true, false] });
    await expect(db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('d')], given)).rejects.toThrow(/3 digests given for 1 rows/);
    await expect(db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('d')], [new Uint8Array(8)])).rejects.toThrow(/16 bytes/);
    const ids = await db.warehouse.query('SELECT id FROM events ORDER BY id');
    expect(ids.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('does not confuse keys whose parts run together', async () => {
    const result = await db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('c', 'ab', 'x'), eventRow('c', 'a', 'bx')]);
    expect(result.inserted).toBe(2);
  });

  it('gives concurrent callers their own results, first arrival winning a shared key', async () => {
    const results = await Promise.all([
      db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('a'), eventRow('b')]),
      db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('b'), eventRow('c')]),
      db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('c'), eventRow('d'), eventRow('d')]),
    ]);
    expect(results).toEqual([
      { inserted: 2, duplicate: [false, false] },
      { inserted: 1, duplicate: [true, false] },
      { inserted: 1, duplicate: [true, false, true] },
    ]);
    const ids = await db.warehouse.query('SELECT id FROM events ORDER BY id');
    expect(ids.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('writes nothing and remembers no key when a write fails', async () => {
    const broken: SqlValue[] = eventRow('x');
    broken[4] = 'not a time';
    const attempts = await Promise.allSettled([
      db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('w')]),
      db.warehouse.insertUnique(EVENTS_UNIQUE, [broken]),
    ]);
    expect(attempts.some((a) => a.status === 'rejected')).toBe(true);
    const retried = await db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('x')]);
    expect(retried.inserted).toBe(1);
    const [count] = await db.warehouse.query<{ n: number }>("SELECT count(*) AS n FROM events WHERE id = 'x'");
    expect(count!.n).toBe(1);
  });

  it('remembers dedupe keys across a restart', async () => {
    await db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('a'), eventRow('b')]);
    await db.reopen();
    const result = await db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('a'), eventRow('z')]);
    expect(result).toEqual({ inserted: 1, duplicate: [true, false] });
  });

  it('remembers across a restart every key ingested within the dedupe window, up to its edge', async () => {
    const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);
    await db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('inside', 'acme', 'svc/api', daysAgo(34.9)), eventRow('outside', 'acme', 'svc/api', daysAgo(36))]);
    await db.reopen();
    const result = await db.warehouse.insertUnique(EVENTS_UNIQUE, [eventRow('inside'), eventRow('outside')]);
    // The embedded engine keeps only the window's keys in memory; ClickHouse also looks rows up in its keys table,
    // which keeps every key.
    expect(result.duplicate).toEqual([true, engine === 'clickhouse']);
  });

  it('names what it can do, and refuses a transaction where it has none', async () => {
    const { capabilities } = db.warehouse;
    // Each flag is what the engine really does: one writer and in-place mutations on the embedded file; merges on the server.
    expect(capabilities).toEqual(
      engine === 'duckdb'
        ? { transactions: true, duplicatesUntilMerged: false, synchronousMutations: true, concurrentWriters: false, batchWindowMs: 200 }
        : { transactions: false, duplicatesUntilMerged: true, synchronousMutations: false, concurrentWriters: true, batchWindowMs: 1000 },
    );
    if (!capabilities.transactions) await expect(db.warehouse.transaction(async () => 1)).rejects.toThrow(/no transactions/);
    else expect(await db.warehouse.transaction(async () => 1)).toBe(1);
  });

  it('rolls back a failed transaction entirely, or refuses to start one where the engine has none, writing nothing', async () => {
    const attempt = db.warehouse.transaction(async () => {
      await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [
        ['acme', 'q-1', new Date(), 'http', 0, null, null, 'X', 'x', '{}'],
      ]);
      await db.warehouse.execute('SELECT * FROM no_such_table');
    });
    await expect(attempt).rejects.toThrow(db.warehouse.capabilities.transactions ? /no_such_table/ : /no transactions/);
    const [count] = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events_quarantine');
    expect(count!.n).toBe(0);
  });

  it('materializes a name as a view or a table, switching kind either way', async () => {
    await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [['acme', 'q-1', new Date(), 'http', 0, null, null, 'X', 'x', '{}']]);
    const count = async () => (await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM parked'))[0]!.n;
    await db.warehouse.materialize('parked', 'view', 'SELECT tenant_id FROM events_quarantine');
    expect(await count()).toBe(1);
    await db.warehouse.materialize('parked', 'table', 'SELECT tenant_id FROM events_quarantine');
    await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [['acme', 'q-2', new Date(), 'http', 1, null, null, 'X', 'x', '{}']]);
    expect(await count()).toBe(1); // a table keeps the rows it was built with
    await db.warehouse.materialize('parked', 'view', 'SELECT tenant_id FROM events_quarantine');
    expect(await count()).toBe(2);
    await expect(db.warehouse.materialize('parked; DROP TABLE events', 'view', 'SELECT 1')).rejects.toThrow(/not a valid table/);
  });

  it('inserts into a table by its columns as they are now, after it is built again or altered with other columns', async () => {
    const read = () => db.warehouse.query<{ tenant_id: string; n: number | string }>('SELECT tenant_id, n FROM tallies ORDER BY tenant_id');
    await db.warehouse.materialize('tallies', 'table', "SELECT 'acme' AS tenant_id, 'x' AS label");
    await db.warehouse.insert('tallies', ['tenant_id', 'label'], [['globex', 'y']]);
    await db.warehouse.materialize('tallies', 'table', "SELECT 'acme' AS tenant_id, CAST(1 AS BIGINT) AS n");
    await db.warehouse.insert('tallies', ['tenant_id', 'n'], [['globex', 2]]);
    expect((await read()).map((r) => [r.tenant_id, Number(r.n)])).toEqual([['acme', 1], ['globex', 2]]);
    await db.warehouse.execute('ALTER TABLE tallies DROP COLUMN n');
    await db.warehouse.execute('ALTER TABLE tallies ADD COLUMN n BIGINT');
    await db.warehouse.execute('ALTER TABLE tallies ADD COLUMN note VARCHAR');
    await db.warehouse.insert('tallies', ['tenant_id', 'n', 'note'], [['initech', 3, 'late']]);
    expect((await read()).map((r) => r.tenant_id)).toEqual(['acme', 'globex', 'initech']);
  });

  it('lists a table\'s and a view\'s columns in order with their types, and none for a name that is not there', async () => {
    await db.warehouse.materialize('listed', 'table', 'SELECT tenant_id, received_at, tenant_id AS second FROM events_quarantine');
    await db.warehouse.materialize('listed_view', 'view', 'SELECT received_at, tenant_id FROM events_quarantine');
    expect((await db.warehouse.columns('listed')).map((c) => c.name)).toEqual(['tenant_id', 'received_at', 'second']);
    expect((await db.warehouse.columns('listed_view')).map((c) => c.name)).toEqual(['received_at', 'tenant_id']);
    expect((await db.warehouse.columns('listed'))[1]!.type).toMatch(/TIMESTAMP|DateTime/);
    expect(await db.warehouse.columns('no_such_relation')).toEqual([]);
    // A hostile name is refused or bound as data, never run.
    expect(await db.warehouse.columns("listed'); DROP TABLE events; --").catch(() => [])).toEqual([]);
    expect(await db.warehouse.hasRelation('events')).toBe(true);
  });

  it('lists several relations\' columns in one read, as `columns` does each, leaving out names that are not there', async () => {
    await db.warehouse.materialize('listed', 'table', 'SELECT tenant_id, received_at, tenant_id AS second FROM events_quarantine');
    await db.warehouse.materialize('listed_view', 'view', 'SELECT received_at, tenant_id FROM events_quarantine');
    const found = await db.warehouse.columnsOf(['listed', 'listed_view', 'no_such_relation', "listed'); DROP TABLE events; --"]);
    expect([...found.keys()].sort()).toEqual(['listed', 'listed_view']);
    expect(found.get('listed')).toEqual(await db.warehouse.columns('listed'));
    expect(found.get('listed_view')).toEqual(await db.warehouse.columns('listed_view'));
    expect(await db.warehouse.columnsOf([])).toEqual(new Map());
    expect(await db.warehouse.hasRelation('events')).toBe(true);
  });

  it('never lets a reader find the name missing while it is replaced, as a table or a view', async () => {
    await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [['acme', 'q-1', new Date(), 'http', 0, null, null, 'X', 'x', '{}']]);
    await db.warehouse.materialize('swapped', 'table', 'SELECT tenant_id FROM events_quarantine');
    let replacing = true;
    const failures: string[] = [];
    let reads = 0;
    const reader = (async () => {
      while (replacing) {
        try {
          const [row] = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM swapped');
          if (Number(row!.n) !== 1) failures.push(`counted ${row!.n}`);
        } catch (error) {
          failures.push((error as Error).message.slice(0, 120));
        }
        reads++;
      }
    })();
    for (let i = 0; i < 12; i++) await db.warehouse.materialize('swapped', i % 4 === 3 ? 'view' : 'table', 'SELECT tenant_id FROM events_quarantine');
    await db.warehouse.materialize('swapped', 'table', 'SELECT tenant_id FROM events_quarantine');
    replacing = false;
    await reader;
    expect(reads).toBeGreaterThan(5);
    expect(failures).toEqual([]);
    // Nothing of the swap is left behind.
    const relations = await db.warehouse.query<{ name: string }>(
      engine === 'clickhouse' ? "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'swapped%'" : "SELECT table_name AS name FROM information_schema.tables WHERE table_name LIKE 'swapped%'",
    );
    expect(relations.map((r) => r.name)).toEqual(['swapped']);
  });

  it('binds values as data, never as SQL', async () => {
    const hostile = "x'); DROP TABLE events; --";
    await db.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, [
      ['acme', hostile, new Date(), 'http', 0, hostile, null, 'X', hostile, '{}'],
    ]);
    const rows = await db.warehouse.query('SELECT event_id FROM events_quarantine WHERE reason_text = ?', [hostile]);
    expect(rows).toEqual([{ event_id: hostile }]);
    await expect(db.warehouse.query('SELECT count(*) AS n FROM events')).resolves.toHaveLength(1);
  });

  it('reads a JSON field as a number leniently (0 unless a number) and as a decimal strictly (NULL unless plain), never failing on a value', async () => {
    // What events carry in `data`: any JSON a sender wrote. One odd value must not fail the query that reads them all.
    const data = ['{"x":12.5}', '{"x":"12.5"}', '{"x":"fast"}', '{"x":[1]}', '{"x":{"y":1}}', '{"x":null}', '{}', '{"x":1e400}', '{"x":-300}', '{"x":"999999999999999999"}', '{"x":"1000000000000000000"}'];
    const { dialect } = db.warehouse;
    const rows = await db.warehouse.query<{ i: number; n: number; d: string | null; num: boolean | number }>(
      `SELECT i, ${dialect.jsonNumber('data', 'x')} AS n, ${dialect.jsonDecimal('data', 'x')} AS d, ${dialect.jsonIsNumber('data', 'x')} AS num
       FROM (${data.map((json, i) => `SELECT ${i} AS i, '${json}' AS data`).join(' UNION ALL ')}) fields ORDER BY i`,
    );
    expect(rows.slice(0, 7).map((r) => Number(r.n))).toEqual([12.5, 12.5, 0, 0, 0, 0, 0]);
    // At most 18 integer digits: so that sums of them fit DECIMAL(38, 10).
    expect(rows.map((r) => (r.d === null ? null : String(Number(r.d))))).toEqual(['12.5', '12.5', null, null, null, null, null, null, '-300', '1000000000000000000', null]);
    expect(rows.map((r) => Boolean(Number(r.num)))).toEqual([true, false, false, false, false, false, false, true, true, false, false]);
  });

  it('reads a JSON field as text the same on every engine, whatever JSON value it holds', async () => {
    const data = ['{"x":"plain"}', '{"x":500}', '{"x":true}', '{"x":"say \\"hi\\""}', '{"x":null}', '{}', '{"x":{"y":1}}', '{"x":[1,2]}', '{"x":-12.5}'];
    const rows = await db.warehouse.query<{ i: number; s: string }>(
      `SELECT i, ${db.warehouse.dialect.jsonString('data', 'x')} AS s FROM (${data.map((json, i) => `SELECT ${i} AS i, ${db.warehouse.dialect.textLiteral(json)} AS data`).join(' UNION ALL ')}) fields ORDER BY i`,
    );
    expect(rows.map((r) => r.s)).toEqual(['plain', '500', 'true', 'say "hi"', '', '', '{"y":1}', '[1,2]', '-12.5']);
  });

  it('extracts a pattern\'s first group, or its whole match when it has none, as RE2 counts groups on every engine', async () => {
    const cases: [pattern: string, text: string, extracted: string][] = [
      ['acct-([a-z]+)', 'x-acct-acme-1', 'acme'],
      ['acct-[a-z]+', 'x-acct-acme-1', 'acct-acme'],
      ['x[(]y', 'ax(yb', 'x(y'],
      ['[(][a-z]+[)]', 'a(bc)d', '(bc)'],
      ['\\\\(a)', 'x\\ab', 'a'],
      ['\\(a\\)', 'x(a)b', '(a)'],
      ['(?:ab)+c', 'xababcd', 'ababc'],
      ['(?P<t>[a-z]+)-', 'acme-7', 'acme'],
      ['[]a]+(b)', ']ab', 'b'],
      ['[^]a]+', 'xy]a', 'xy'],
      ['[[:alpha:]]+', '12ab3', 'ab'],
      ['[[:alpha:](]+', '1a(b2', 'a(b'],
      ['\\Q(\\Ex', 'a(xb', '(x'],
    ];
    const { dialect } = db.warehouse;
    const rows = await db.warehouse.query<{ i: number; s: string }>(
      `SELECT i, s FROM (${cases.map(([pattern, text], i) => `SELECT ${i} AS i, ${dialect.regexpExtract('t', pattern)} AS s FROM (SELECT ${dialect.textLiteral(text)} AS t) texts`).join(' UNION ALL ')}) extracted ORDER BY i`,
    );
    expect(rows.map((r) => r.s)).toEqual(cases.map(([, , extracted]) => extracted));
  });

  it('prorates an amount by any weights without overflowing: exact for small totals, within a unit of the tenth decimal beyond', async () => {
    // amount, weight, total → share. A $1M line split by bytes (2 TB of 5 TB) overflowed 38 digits before.
    const cases = [
      ['100', '1', '3', '33.3333333333'],
      ['1000000000', '7', '9', '777777777.7777777777'],
      ['50000', '300000000', '900000000', '16666.6666666666'],
      ['1000000', '2000000000000', '5000000000000', '400000.0000000000'],
      ['1000', '2000000000000000', '5000000000000000', '400.0000000000'],
      ['100', '100000000000000000', '300000000000000000', '33.3333333333'],
      ['0.0000000003', '1', '2', '0.0000000001'],
      // Weights a tenant's events make negative split as before: the ratio is what counts.
      ['100', '-1', '-3', '33.3333333333'],
      ['1000', '-2000000000000000', '-5000000000000000', '400.0000000000'],
    ];
    const { dialect } = db.warehouse;
    const duckdb = db.warehouse.engine === 'duckdb';
    const decimal = (text: string) => (duckdb ? `CAST('${text}' AS DECIMAL(38, 10))` : `toDecimal128('${text}', 10)`);
    const shares: string[] = [];
    for (const [amount, weight, total] of cases) {
      const share = dialect.prorate('a', 'w', 't');
      const [row] = await db.warehouse.query<{ share: string }>(
        `SELECT ${duckdb ? `CAST(${share} AS VARCHAR)` : `toString(${share})`} AS share FROM (SELECT ${decimal(amount!)} AS a, ${decimal(weight!)} AS w, ${decimal(total!)} AS t) parts`,
      );
      shares.push(row!.share);
    }
    expect(shares).toEqual(cases.map((c) => c[3]));
  });

  it('sums the largest decimals a JSON field may give without overflowing, however many rows hold them', async () => {
    const { dialect } = db.warehouse;
    const largest = '"999999999999999999.9999999999"';
    const rows = await db.warehouse.query<{ total: string }>(
      `SELECT sum(${dialect.jsonDecimal('data', 'x')}) AS total FROM (${Array.from({ length: 50 }, () => `SELECT '{"x":${largest}}' AS data`).join(' UNION ALL ')}) fields`,
    );
    expect(String(rows[0]!.total)).toMatch(/^49999999999999999999\.9999999950*$/);
  });
});

describe('warehouse on duckdb: Parquet', () => {
  const db = useWarehouse('duckdb');

  it('loads Parquet files in one statement: only the rows `keep` marks, every file or none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-parquet-'));
    const scratch = await DuckDBWarehouse.open(':memory:');
    const file = (name: string, rows: string) =>
      scratch.execute(`COPY (SELECT * FROM (VALUES ${rows}) AS t(tenant_id, simulation_id, cost_tenant, period_start, billing_currency, true_cost, loadable))
        TO '${join(dir, name)}' (FORMAT parquet)`);
    const costs = () => db.warehouse.query('SELECT cost_tenant, true_cost FROM finops_true_costs ORDER BY cost_tenant');
    const columns = ['tenant_id', 'simulation_id', 'cost_tenant', 'period_start', 'billing_currency', 'true_cost'];
    try {
      await file('a.parquet', `('acme', 's', 't-1', TIMESTAMP '2026-10-01', 'USD', 1.5::DECIMAL(38, 10), true), ('acme', 's', 't-2', TIMESTAMP '2026-10-01', 'USD', 2::DECIMAL(38, 10), false)`);
      await file('b.parquet', `('acme', 's', 't-3', TIMESTAMP '2026-10-01', 'USD', -0.0000000001::DECIMAL(38, 10), true)`);
      await file('broken.parquet', `('acme', 's', 't-4', 'not a time', 'USD', 4::DECIMAL(38, 10), true)`);
      await expect(db.warehouse.insertParquet!('finops_true_costs', columns, [join(dir, 'a.parquet'), join(dir, 'broken.parquet')], { keep: 'loadable' })).rejects.toThrow();
      expect(await costs()).toEqual([]);
      await db.warehouse.insertParquet!('finops_true_costs', columns, [join(dir, 'a.parquet'), join(dir, 'b.parquet')], { keep: 'loadable' });
      expect(await costs()).toEqual([{ cost_tenant: 't-1', true_cost: '1.5000000000' }, { cost_tenant: 't-3', true_cost: '-0.0000000001' }]);
    } finally {
      await scratch.close();
    }
  });
  it('numbers rows by their position in their own file when asked (`numberRows`), after `keep` picks them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-parquet-numbers-'));
    const scratch = await DuckDBWarehouse.open(':memory:');
    const columns = ['tenant_id', 'batch_id', 'line', 'billing_period_start', 'charge_period_start', 'charge_category', 'billed_cost', 'effective_cost', 'tags', 'extra'];
    const file = (name: string, rows: number, skip: number) =>
      scratch.execute(`COPY (SELECT 'acme' AS tenant_id, '${name}' AS batch_id, TIMESTAMP '2026-10-01' AS billing_period_start, TIMESTAMP '2026-10-01' AS charge_period_start,
          'Usage' AS charge_category, i::DECIMAL(38, 10) AS billed_cost, i::DECIMAL(38, 10) AS effective_cost, '{}' AS tags, '{}' AS extra, i <> ${skip} AS loadable
        FROM range(${rows}) AS t(i) ORDER BY i) TO '${join(dir, name)}' (FORMAT parquet)`);
    try {
      await file('a', 3000, 1);
      await file('b', 5, -1);
      await expect(db.warehouse.insertParquet!('bill_rows', columns, [join(dir, 'a')], { numberRows: { column: 'no_such', first: 2 } })).rejects.toThrow(/numberRows/);
      await db.warehouse.insertParquet!('bill_rows', columns, [join(dir, 'a'), join(dir, 'b')], { keep: 'loadable', numberRows: { column: 'line', first: 2 } });
      const rows = await db.warehouse.query<{ batch_id: string; n: number; off: number; first: number; last: number }>(
        `SELECT batch_id, count(*) AS n, count(*) FILTER (WHERE line <> CAST(billed_cost AS BIGINT) + 2) AS off, min(line) AS first, max(line) AS last
         FROM bill_rows GROUP BY batch_id ORDER BY batch_id`,
      );
      expect(rows.map((r) => [r.batch_id, Number(r.n), Number(r.off), Number(r.first), Number(r.last)])).toEqual([['a', 2999, 0, 2, 3001], ['b', 5, 0, 2, 6]]);
    } finally {
      await scratch.close();
    }
  });
});

describe('duckdb single owner', () => {
  it('names the holder when another process has the file open', async () => {
    const harness = await engineHarness('duckdb');
    const path = join(harness.dataDir, 'warehouse.duckdb');
    await (await harness.open()).close();
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', '-e', `import('@duckdb/node-api').then(async ({ DuckDBInstance }) => { await DuckDBInstance.create(${JSON.stringify(path)}); console.log('ready'); setInterval(() => {}, 1000); })`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      const opening = openWarehouse({ engine: 'duckdb', dataDir: harness.dataDir });
      await expect(opening).rejects.toBeInstanceOf(WarehouseLockedError);
      await expect(opening).rejects.toThrow(`pid ${holder.pid}`);
    } finally {
      holder.kill('SIGKILL');
      await harness.cleanup();
    }
  });
});
