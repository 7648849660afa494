import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiHarness, useApi } from '../../test/support/api.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { loadConfig } from '../cli/kit/index.ts';
import { parseServerTiming, serverTiming } from './server-timing.ts';

const PHASES = ['auth', 'parse', 'gate', 'handler', 'receipt'];
/** What the test adds to one phase; each other phase must stay under it. */
const DELAY_MS = 300;

describe('Server-Timing', () => {
  const db = useWarehouse('duckdb');
  const served = useApi(db, { serverTiming: true });

  it('puts a slow policy decision in gate and a slow transaction in handler, the phases adding up to app', async () => {
    const { app, token } = served.api;
    const ops = await token('acme', 'operator', 'writer');
    const create = () => app.inject({ method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${ops}` }, payload: { type: 'Asset', name: 'timed' } });
    // The first request pays the token's first verification and the grants' first read (81 ms of `auth` once on a busy CI
    // machine): it is not the one measured, and the delays stand well above what a busy machine adds to any phase.
    expect((await create()).statusCode).toBe(201);
    const gate = app.platform.gate;
    const decide = gate.decide.bind(gate);
    gate.decide = async (...args) => {
      await sleep(DELAY_MS);
      return decide(...args);
    };
    const slowGate = await create();
    gate.decide = decide;
    const state = app.platform.state;
    const transaction = state.transaction.bind(state);
    state.transaction = (async (work, options) => {
      await sleep(DELAY_MS);
      return transaction(work, options);
    }) as typeof state.transaction;
    const slowWrite = await create();
    state.transaction = transaction;

    for (const [reply, slow] of [[slowGate, 'gate'], [slowWrite, 'handler']] as const) {
      expect(reply.statusCode, reply.body).toBe(201);
      const timings = parseServerTiming(String(reply.headers['server-timing']));
      expect(Object.keys(timings)).toEqual([...PHASES, 'app']);
      expect(timings[slow], `${slow} in ${String(reply.headers['server-timing'])}`).toBeGreaterThanOrEqual(DELAY_MS - 5);
      for (const phase of PHASES.filter((p) => p !== slow)) expect(timings[phase], phase).toBeLessThan(DELAY_MS - 5);
      const sum = PHASES.reduce((total, phase) => total + timings[phase]!, 0);
      expect(Math.abs(sum - timings.app!)).toBeLessThan(0.05);
    }
  });

  it('ends a parked request in the gate, and tells a refusal its total only', async () => {
    const { app, token, principal } = served.api;
    const ops = await principal('ops', 'acme', 'operator');
    const created = await app.inject({ method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${ops}` }, payload: { type: 'Asset', name: 'to delete' } });
    expect(created.statusCode, created.body).toBe(201);
    // Dual control: the delete waits for someone else's approval (202), decided in the gate.
    const parked = await app.inject({ method: 'DELETE', url: `/v1/entities/${created.json().id}`, headers: { authorization: `Bearer ${ops}` } });
    expect(parked.statusCode, parked.body).toBe(202);
    expect(Object.keys(parseServerTiming(String(parked.headers['server-timing'])))).toEqual(['auth', 'parse', 'gate', 'receipt', 'app']);

    const partner = await token('acme', 'partner');
    const refusals = [
      await app.inject({ method: 'POST', url: '/v1/entities', payload: { type: 'Asset', name: 'x' } }),
      await app.inject({ method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${partner}` }, payload: { type: 'Asset', name: 'x' } }),
      await app.inject({ method: 'GET', url: '/v1/entities/no-such-entity', headers: { authorization: `Bearer ${ops}` } }),
    ];
    expect(refusals.map((reply) => reply.statusCode)).toEqual([401, 403, 404]);
    for (const reply of refusals) expect(Object.keys(parseServerTiming(String(reply.headers['server-timing'])))).toEqual(['app']);
  });

  it('is off unless asked for', async () => {
    const plain = await apiHarness(db.warehouse);
    try {
      const reply = await plain.app.inject({ method: 'GET', url: '/healthz' });
      expect(reply.statusCode).toBe(200);
      expect(reply.headers['server-timing']).toBeUndefined();
    } finally {
      await plain.app.close();
    }
    expect(loadConfig({}).serverTiming).toBe(false);
    expect(loadConfig({ COMPANYOS_SERVER_TIMING: 'true' }).serverTiming).toBe(true);
    expect(() => loadConfig({ COMPANYOS_SERVER_TIMING: 'yes' })).toThrow(/COMPANYOS_SERVER_TIMING is true or false/);
  });
});

describe('Server-Timing header text', () => {
  it('reads back what it writes, each phase from the end of the one before', () => {
    const header = serverTiming({ auth: 0.5, parse: 0.75, handler: 3 }, 3.25);
    expect(header).toBe('auth;dur=0.50, parse;dur=0.25, handler;dur=2.25, app;dur=3.25');
    expect(parseServerTiming(header)).toEqual({ auth: 0.5, parse: 0.25, handler: 2.25, app: 3.25 });
    expect(parseServerTiming('cache;desc="hit", db;dur=53;desc="x", bad;dur=abc, dots;dur=1.2.3, dot;dur=., spaced ; DUR=2.5')).toEqual({ db: 53, spaced: 2.5 });
    expect(parseServerTiming(undefined)).toEqual({});
  });
});
