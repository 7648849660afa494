import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { DuckDBStateStore, ensureStateSchema, PostgresStateStore, type StateStore } from '../../../kernel/state/index.ts';
import { freshPostgresDatabase } from '../../../test/support/postgres.ts';
import { ScimDirectory } from './scim-directory.ts';
import { SCIM_TABLES } from './scim-tables.ts';

/** The directory on each state store, as two platform processes see it (two connections on PostgreSQL). */
describe.each(['duckdb', 'postgresql'] as const)('the SCIM directory on %s', (engine) => {
  let stores: [StateStore, StateStore];
  let dispose: () => Promise<void>;
  const deprovisioned: string[] = [];
  const directory = (store: StateStore) => new ScimDirectory(store, async (_tenant, user) => void deprovisioned.push(String(user.userName)));

  beforeEach(async (context) => {
    if (engine === 'postgresql' && !inject('postgresUrl')) context.skip();
    deprovisioned.length = 0;
    if (engine === 'duckdb') {
      const state = await DuckDBStateStore.open(':memory:', SCIM_TABLES);
      await ensureStateSchema(state);
      stores = [state, state];
      dispose = () => state.close();
    } else {
      const database = await freshPostgresDatabase(inject('postgresUrl')!);
      const first = await PostgresStateStore.open(database.url, SCIM_TABLES);
      await ensureStateSchema(first);
      const second = await PostgresStateStore.open(database.url, SCIM_TABLES);
      stores = [first, second];
      dispose = async () => {
        await Promise.all([first.close(), second.close()]);
        await database.drop();
      };
    }
  });
  afterEach(async () => {
    await dispose?.();
  });

  it('lands every one of 50 PATCHes two processes send to one group at once, and one of two creates of a userName', async () => {
    const [a, b] = [directory(stores[0]), directory(stores[1])];
    const people = await Promise.all(Array.from({ length: 50 }, (_, i) => a.create('acme', 'User', { userName: `p${i}@acme.example` })));
    const group = await a.create('acme', 'Group', { displayName: 'crowd' });
    await Promise.all(people.map((person, i) =>
      (i % 2 ? a : b).patch('acme', 'Group', group.id, { Operations: [{ op: 'add', path: 'members', value: [{ value: person.id }] }] })));
    const final = await b.get('acme', 'Group', group.id);
    expect(new Set((final.resource.members as { value: string }[]).map((member) => member.value))).toEqual(new Set(people.map((person) => person.id)));
    expect(final.version).toBe(51);

    const twice = await Promise.allSettled([a.create('acme', 'User', { userName: 'Same@acme.example' }), b.create('acme', 'User', { userName: 'same@ACME.example' })]);
    expect(twice.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(((twice.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason as { code: string }).code).toBe('SCIM_USER_EXISTS');
    // Another tenant may use the name.
    await expect(a.create('globex', 'User', { userName: 'same@acme.example' })).resolves.toMatchObject({ version: 1 });
  });

  it('deprovisions once when two processes deactivate the same person at once', async () => {
    const [a, b] = [directory(stores[0]), directory(stores[1])];
    const person = await a.create('acme', 'User', { userName: 'leaver@acme.example' });
    const off = { Operations: [{ op: 'replace', path: 'active', value: false }] };
    await Promise.all([a.patch('acme', 'User', person.id, off), b.patch('acme', 'User', person.id, off)]);
    expect(deprovisioned).toEqual(['leaver@acme.example']);
    expect(await a.isDeprovisioned('acme', ['leaver@acme.example'])).toBe(true);
    expect(await a.isDeprovisioned('globex', ['leaver@acme.example'])).toBe(false);
    // Deleted stays deprovisioned (its tokens keep failing) while its userName is free for someone new.
    const other = await a.create('acme', 'User', { userName: 'gone_1@acme.example', externalId: '00u-gone' });
    await b.delete('acme', 'User', other.id);
    await expect(a.get('acme', 'User', other.id)).rejects.toMatchObject({ code: 'SCIM_NOT_FOUND' });
    expect((await a.list('acme', 'User', undefined, 1, 100)).items.map((item) => item.resource.userName)).toEqual(['leaver@acme.example']);
    expect(await a.isDeprovisioned('acme', ['00u-gone'])).toBe(true);
    expect(await a.isDeprovisioned('acme', ['gone_1@acme.example'])).toBe(true);
    expect(await a.isDeprovisioned('acme', ['goneX1@acme.example'])).toBe(false);
    await a.create('acme', 'User', { userName: 'gone_1@acme.example' });
    expect(await a.isDeprovisioned('acme', ['gone_1@acme.example'])).toBe(false);
    expect(deprovisioned).toEqual(['leaver@acme.example', 'gone_1@acme.example']);
  });
});
