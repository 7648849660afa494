import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { EVENT_COLUMNS } from '../../kernel/warehouse/index.ts';
import { raw, sql, TenantScope } from './tenant-scope.ts';

function eventRow(id: string, tenant: string, type = 'api.requests_total') {
  const at = new Date('2026-11-01T10:00:00.000Z');
  return [tenant, 'svc/api', id, type, at, null, 'v1', 'pro', null, null, null, null, '{"value":1}', '{}', 'test', at];
}

describe('sql`…`', () => {
  it('binds every value as a parameter, in order, and splices fragments with theirs', () => {
    const scope = { table: (name: string) => sql`(SELECT * FROM ${raw(name)} WHERE tenant_id = ${'acme'}) AS ${raw(name)}` };
    const query = sql`SELECT id FROM ${scope.table('events')} WHERE type = ${"x' OR 1=1 --"} AND n > ${3}`;
    expect(query.text).toBe('SELECT id FROM (SELECT * FROM events WHERE tenant_id = ?) AS events WHERE type = ? AND n > ?');
    expect(query.params).toEqual(['acme', "x' OR 1=1 --", 3]);
  });
});

describe.each(TEST_ENGINES)('TenantScope on %s', (engine) => {
  const db = useWarehouse(engine);

  it('shows a tenant its own rows only, whatever the rest of the query says', async () => {
    await db.warehouse.insert('events', EVENT_COLUMNS, [eventRow('a1', 'acme'), eventRow('a2', 'acme'), eventRow('g1', 'globex'), eventRow('g2', 'globex', 'other')]);
    const acme = new TenantScope(db.warehouse, 'acme');
    const everything = await acme.query<{ id: string }>(sql`SELECT id FROM ${acme.table('events')} WHERE 1 = 1 OR tenant_id = ${'globex'} ORDER BY id`);
    expect(everything.map((r) => r.id)).toEqual(['a1', 'a2']);
    // A self-join (and a join of two scoped tables) stays inside the tenant too.
    const joined = await acme.query<{ n: number }>(
      sql`SELECT count(*) AS n FROM ${acme.table('events', { as: 'a' })} JOIN ${acme.table('events', { as: 'b' })} ON a.type = b.type`,
    );
    expect(Number(joined[0]!.n)).toBe(4);
    const globex = new TenantScope(db.warehouse, 'globex');
    expect((await globex.query<{ id: string }>(sql`SELECT id FROM ${globex.table('events', { deduplicated: true })} ORDER BY id`)).map((r) => r.id)).toEqual(['g1', 'g2']);
  });

  it('refuses a table or column name that is not an identifier', () => {
    const scope = new TenantScope(db.warehouse, 'acme');
    expect(() => scope.table('events; DROP TABLE events')).toThrow(/not a valid/);
    expect(() => scope.table('events', { column: 'tenant_id OR 1=1' })).toThrow(/not a valid/);
  });
});
