import { describe, expect, inject, it } from 'vitest';
import { useWarehouse } from '../../../test/support/engines.ts';
import { EVENT_COLUMNS, type SqlValue } from '../index.ts';
import { ClickHouseWarehouse } from './clickhouse-warehouse.ts';

const EVENTS_UNIQUE = {
  table: 'events', columns: EVENT_COLUMNS, key: ['tenant_id', 'source', 'id'], windowColumn: 'ingested_at', windowDays: 35,
};
/** A day ago, to the second: inside the 35-day dedupe window whatever day the suite runs. */
const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 86_400_000);
const row = (id: string, tenant = 'acme', source = 'svc'): SqlValue[] => [
  tenant, source, id, 'metered', at, null, 'v1', null, null, null, null, null, '{}', '{}', 'test', at,
];

/** What only a multi-writer engine can show; the shared suites cover the rest on both engines. */
describe.runIf(inject('clickhouseUrl'))('ClickHouse warehouse', () => {
  const db = useWarehouse('clickhouse');

  it("changes a table's change token on an insert, a delete and an update, not on a merge that drops no row", async () => {
    const token = async () => (await (db.warehouse as ClickHouseWarehouse).changeTokens(['events', 'bill_rows'])).get('events');
    const empty = await token();
    await db.warehouse.insert('events', EVENT_COLUMNS, [row('a')]);
    await db.warehouse.insert('events', EVENT_COLUMNS, [row('b')]);
    const inserted = await token();
    expect(inserted).not.toBe(empty);
    expect(await token()).toBe(inserted);
    await db.warehouse.execute('OPTIMIZE TABLE events FINAL');
    expect(await token()).toBe(inserted);
    await db.warehouse.deleteWhere('events', "id = 'a'");
    const deleted = await token();
    expect(deleted).not.toBe(inserted);
    await db.warehouse.execute("ALTER TABLE events UPDATE subject = 'x' WHERE id = 'b'");
    await expect.poll(token).not.toBe(deleted);
  });

  it('sees keys another process wrote: a second writer reports them as duplicates', async () => {
    const second = await db.harness.open();
    try {
      await second.insertUnique(EVENTS_UNIQUE, []); // loads its index now, before the first writer writes
      expect((await db.warehouse.insertUnique(EVENTS_UNIQUE, [row('a'), row('b')])).inserted).toBe(2);
      const result = await second.insertUnique(EVENTS_UNIQUE, [row('b'), row('c')]);
      expect(result).toEqual({ inserted: 1, duplicate: [true, false] });
    } finally {
      await second.close();
    }
  });

  it('finds keys of another writer across many tenants and sources, beyond one lookup query', async () => {
    const rows = Array.from({ length: 2600 }, (_, i) => row(`id-${i}`, `tenant-${i % 3}`, `source-${i % 2}`));
    const second = await db.harness.open();
    try {
      await second.insertUnique(EVENTS_UNIQUE, []);
      await db.warehouse.insertUnique(EVENTS_UNIQUE, rows.filter((_, i) => i % 2 === 0));
      const result = await second.insertUnique(EVENTS_UNIQUE, rows);
      expect(result.inserted).toBe(1300);
      expect(result.duplicate).toEqual(rows.map((_, i) => i % 2 === 0));
    } finally {
      await second.close();
    }
  });

  it('hides duplicates a race left in storage from deduplicated reads', async () => {
    // Two writers that both checked before either wrote leave the row twice.
    await db.warehouse.insert('events', EVENT_COLUMNS, [row('raced')]);
    await db.warehouse.insert('events', EVENT_COLUMNS, [row('raced')]);
    const raw = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events');
    expect(raw[0]!.n).toBe(2);
    const deduplicated = await db.warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM ${db.warehouse.dialect.deduplicated('events')}`);
    expect(deduplicated[0]!.n).toBe(1);
  });

  it('round-trips every byte value and astral characters through literals and inserts', async () => {
    const text = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('') + '🚀 ünïcødé';
    const [selected] = await db.warehouse.query<{ v: string }>('SELECT ? AS v', [text]);
    expect(selected!.v).toBe(text);
    await db.warehouse.insert('events', EVENT_COLUMNS, [['acme', text, 'x', 't', at, text, 'v1', null, null, null, null, null, null, '{}', 'c', at]]);
    const [stored] = await db.warehouse.query<{ source: string }>('SELECT source FROM events WHERE subject = ?', [text]);
    expect(stored!.source).toBe(text);
  });

  it('reads its catalog while other tables are built and dropped beside it (models side by side)', async () => {
    // 18.16 fails a system.tables read with "Table … doesn't exist" when any table of the database goes meanwhile.
    let churning = true;
    const churn = async (builder: number) => {
      for (let i = 0; churning; i++) {
        await db.warehouse.execute(`CREATE TABLE churn_${builder}_${i % 3} (n UInt8) ENGINE = Memory`);
        await db.warehouse.execute(`DROP TABLE churn_${builder}_${i % 3}`);
      }
    };
    const builders = [churn(1), churn(2), churn(3)];
    try {
      for (let reads = 0; reads < 300; reads++) {
        expect(await db.warehouse.hasRelation('events')).toBe(true);
        expect(await db.warehouse.hasRelation('not_there')).toBe(false);
      }
    } finally {
      churning = false;
      await Promise.all(builders);
    }
  });

  it('explains an unreachable server', async () => {
    await expect(ClickHouseWarehouse.open({ url: 'http://127.0.0.1:1', database: 'x' })).rejects.toThrow(
      /cannot reach ClickHouse at http:\/\/127\.0\.0\.1:1/,
    );
  });
});
