import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { DuckDBStateStore, ensureStateSchema, PostgresStateStore, type StateStore } from '../../kernel/state/index.ts';
import { freshPostgresDatabase } from '../../test/support/postgres.ts';
import type { Principal } from './auth.ts';
import { LOGIN_SESSION_TABLES } from './login-sessions-table.ts';
import { LoginSessions } from './login-sessions.ts';

const alice: Principal = { tenant: 'acme', roles: ['reader'], subject: 'acme-idp:alice', env: 'dev', region: 'local' };
const MINUTE = 60_000;

describe.each(['duckdb', 'postgresql'] as const)('login sessions on %s', (engine) => {
  let state: StateStore;
  let other: StateStore;
  let dispose: () => Promise<void>;
  let clock: Date;
  let sessions: LoginSessions;
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
  /** Uses the session every 20 minutes for `hours`. */
  const keepUsing = async (id: string, hours: number) => {
    for (let step = 0; step < hours * 3; step++) {
      advance(20 * MINUTE);
      expect(await sessions.principal(id)).toEqual(alice);
    }
  };

  beforeEach(async (context) => {
    if (engine === 'postgresql' && !inject('postgresUrl')) context.skip();
    if (engine === 'duckdb') {
      state = await DuckDBStateStore.open(':memory:', LOGIN_SESSION_TABLES);
      await ensureStateSchema(state);
      other = state;
      dispose = () => state.close();
    } else {
      const database = await freshPostgresDatabase(inject('postgresUrl')!);
      state = await PostgresStateStore.open(database.url, LOGIN_SESSION_TABLES);
      await ensureStateSchema(state);
      other = await PostgresStateStore.open(database.url, LOGIN_SESSION_TABLES);
      dispose = async () => {
        await Promise.all([state.close(), other.close()]);
        await database.drop();
      };
    }
    clock = new Date('2026-12-01T08:00:00Z');
    sessions = new LoginSessions(state, () => clock, { idleMs: 30 * MINUTE, absoluteMs: 12 * 60 * MINUTE });
  });
  afterEach(async () => {
    await dispose?.();
  });

  it('ends a session idle past its limit, and any session at its absolute end however busy', async () => {
    const idle = await sessions.open(alice, 'acme-idp');
    advance(29 * MINUTE);
    expect(await sessions.principal(idle.id)).toEqual(alice);
    // Each use starts the idle clock again.
    advance(29 * MINUTE);
    expect(await sessions.principal(idle.id)).toEqual(alice);
    advance(31 * MINUTE);
    expect(await sessions.principal(idle.id)).toBeUndefined();

    const busy = await sessions.open(alice, 'acme-idp');
    await keepUsing(busy.id, 11);
    advance(59 * MINUTE);
    expect(await sessions.principal(busy.id)).toBeUndefined();
  });

  it('rotates: the new id works with the login\'s absolute end, the old one opens nothing, and of two rotations at once one wins', async () => {
    const first = await sessions.open(alice, 'acme-idp');
    await keepUsing(first.id, 11);
    const next = (await sessions.rotate(first.id))!;
    expect(next.expiresAt).toEqual(first.expiresAt);
    expect(await sessions.principal(first.id)).toBeUndefined();
    expect(await sessions.principal(next.id)).toEqual(alice);
    expect(await sessions.rotate(first.id)).toBeUndefined();
    // Two replicas rotate the same session at the same moment: one new session, not two.
    const elsewhere = new LoginSessions(other, () => clock);
    const both = await Promise.allSettled([sessions.rotate(next.id), elsewhere.rotate(next.id)]);
    const won = both.filter((result) => result.status === 'fulfilled' && result.value !== undefined);
    expect(won).toHaveLength(1);
    // The login's absolute end holds for its successors.
    const last = (won[0] as PromiseFulfilledResult<{ id: string }>).value.id;
    await keepUsing(last, 2 / 3);
    advance(21 * MINUTE);
    expect(await sessions.principal(last)).toBeUndefined();
  });

  it('ends every live session of a person (deprovisioning), and only theirs; a logout ends one', async () => {
    const [one, two] = [await sessions.open(alice, 'acme-idp'), await sessions.open(alice, 'acme-idp')];
    const bob = await sessions.open({ ...alice, subject: 'acme-idp:bob' }, 'acme-idp');
    const globexAlice = await sessions.open({ ...alice, tenant: 'globex' }, 'globex-idp');
    expect(await sessions.end(one.id)).toBe(true);
    expect(await sessions.end(one.id)).toBe(false);
    expect(await sessions.endAllOf('acme', 'acme-idp:alice', 'deprovisioned')).toBe(1);
    expect(await sessions.principal(two.id)).toBeUndefined();
    expect(await sessions.principal(bob.id)).toEqual({ ...alice, subject: 'acme-idp:bob' });
    expect(await sessions.principal(globexAlice.id)).toEqual({ ...alice, tenant: 'globex' });
  });

  it('finishes a login attempt once, and not after ten minutes', async () => {
    const attempt = { tenant: 'acme', provider: 'acme-idp', codeVerifier: 'v', nonce: 'n', returnTo: '/reports' };
    const state = await sessions.beginAttempt(attempt);
    expect(await sessions.takeAttempt(state)).toEqual(attempt);
    expect(await sessions.takeAttempt(state)).toBeUndefined();
    const late = await sessions.beginAttempt(attempt);
    advance(11 * MINUTE);
    expect(await sessions.takeAttempt(late)).toBeUndefined();
    expect(await sessions.takeAttempt('made-up')).toBeUndefined();
  });
});
