import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { StateStore } from '../../kernel/state/index.ts';
import { twoProcesses } from '../../test/support/state.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { JOB_LEASES_TABLE } from './job-leases-table.ts';
import { JobLeases, LeaseLostError } from './job-leases.ts';

const TTL = 30_000;


describe.each(['duckdb', 'postgresql'] as const)('job leases on %s: a cluster-wide job runs in one process at a time', (engine) => {
  let processes: Awaited<ReturnType<typeof twoProcesses>>;
  let clock: Date;
  let a: JobLeases;
  let b: JobLeases;

  beforeEach(async (context) => {
    if (engine === 'postgresql' && !inject('postgresUrl')) context.skip();
    processes = await twoProcesses(engine, [JOB_LEASES_TABLE]);
    clock = new Date('2026-12-01T00:00:00Z');
    a = new JobLeases(processes.stores[0], { now: () => clock, elapsed: () => clock.getTime(), holder: 'replica-a' });
    b = new JobLeases(processes.stores[1], { now: () => clock, elapsed: () => clock.getTime(), holder: 'replica-b' });
  });
  afterEach(() => processes?.dispose());

  it('gives a job to one of two processes racing for it; the winner renews it, the other is told who holds it', async () => {
    const attempts = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).acquire('retention', TTL).then((lease) => ({ who: i % 2 ? 'replica-a' : 'replica-b', lease }))));
    const winners = new Set(attempts.filter((t) => 'fencing' in t.lease).map((t) => t.who));
    expect(winners.size).toBe(1);
    const [winner] = [...winners];
    for (const attempt of attempts.filter((t) => t.who !== winner)) expect(attempt.lease).toMatchObject({ holder: expect.any(String) });
    const [holder, other] = winner === 'replica-a' ? [a, b] : [b, a];
    expect(await holder.acquire('retention', TTL)).toEqual({ fencing: 1 });
    expect(await other.acquire('retention', TTL)).toEqual({ holder: winner });
  });

  it('passes an expired lease to the next process with a larger fencing number; the old holder cannot take it back', async () => {
    expect(await a.acquire('sla-check', TTL)).toEqual({ fencing: 1 });
    clock = new Date(clock.getTime() + TTL - 1);
    expect(await b.acquire('sla-check', TTL)).toEqual({ holder: 'replica-a' });
    clock = new Date(clock.getTime() + 2);
    expect(await b.acquire('sla-check', TTL)).toEqual({ fencing: 2 });
    expect(await a.acquire('sla-check', TTL)).toEqual({ holder: 'replica-b' });
  });

  it('frees a released lease at once, and only its holder under its fencing number can release it', async () => {
    expect(await a.acquire('scheduled-build', TTL)).toEqual({ fencing: 1 });
    await b.release('scheduled-build', 1);
    expect(await b.acquire('scheduled-build', TTL)).toEqual({ holder: 'replica-a' });
    await a.release('scheduled-build', 1);
    expect(await b.acquire('scheduled-build', TTL)).toEqual({ fencing: 2 });
  });

  it('keeps different jobs apart', async () => {
    expect(await a.acquire('retention', TTL)).toEqual({ fencing: 1 });
    expect(await b.acquire('grant-expiry', TTL)).toEqual({ fencing: 1 });
  });

  it('runs the work once when both processes sweep at the same moment, and renews the lease while a run outlasts it', async () => {
    const realA = new JobLeases(processes.stores[0], { holder: 'replica-a' });
    const realB = new JobLeases(processes.stores[1], { holder: 'replica-b' });
    let runs = 0;
    const work = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 600));
      return 'done';
    };
    const [first, second] = await Promise.all([realA.runExclusive('retention', 200, work), realB.runExclusive('retention', 200, work)]);
    expect(runs).toBe(1);
    expect([first.ran, second.ran].sort()).toEqual([false, true]);
    // A run of 1.7 s under a 1.5 s lease: a third process trying after the first lease would have lapsed was refused
    // (renewed every 0.5 s, so a busy machine's late timers do not lapse it), and after the run the lease is free.
    let midway: unknown;
    const third = new JobLeases(processes.stores[1], { holder: 'replica-c' });
    await realA.runExclusive('long-job', 1500, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1700));
      midway = await third.acquire('long-job', 200);
    });
    expect(midway).toEqual({ holder: 'replica-a' });
    expect(await third.acquire('long-job', 200)).toMatchObject({ fencing: expect.any(Number) });
  });

  it('gives the lease up after a run even when a renewal was still on its way as the run ended', async () => {
    // Transactions started while the gate is set wait for it: the renewal is held until after the run's release.
    let gate: Promise<void> | undefined;
    const held: Promise<unknown>[] = [];
    const store = processes.stores[0];
    const gated = new Proxy(store, {
      get: (target, key) => key !== 'transaction'
        ? Reflect.get(target, key, target)
        : (fn: Parameters<StateStore['transaction']>[0]) => {
          if (!gate) return target.transaction(fn);
          const later = gate.then(() => target.transaction(fn));
          held.push(later);
          return later;
        },
    });
    const leases = new JobLeases(gated, { holder: 'replica-a' });
    let open!: () => void;
    // The gate opens within the lease's 600 ms, so the held renewal renews rather than takes a lease anew.
    await leases.runExclusive('gated-job', 600, async () => {
      gate = new Promise((resolve) => (open = resolve));
      await waitFor(() => held.length > 0, 'a renewal (every 200 ms) waiting at the gate', 5_000);
      gate = undefined;
      setTimeout(open, 100);
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await Promise.all(held);
    expect(held.length).toBeGreaterThan(0);
    expect(await new JobLeases(processes.stores[1], { holder: 'replica-c' }).acquire('gated-job', 600)).toMatchObject({ fencing: expect.any(Number) });
  });

  it('frees the lease after a run whose renewal came after the lease had lapsed (nobody took it meanwhile)', async () => {
    await a.runExclusive('lapsing-job', 300, async () => {
      clock = new Date(clock.getTime() + 1_000); // the lease lapses by the clock; the next renewal (every 100 ms) finds it so
      await new Promise((resolve) => setTimeout(resolve, 250));
    });
    expect(await b.acquire('lapsing-job', 300)).toMatchObject({ fencing: expect.any(Number) });
  });

  it('confirms a held lease before each step, renewing it when less than half is left, and refuses once another process took it', async () => {
    const held = await a.hold('build', TTL);
    if (!('fencing' in held)) throw new Error('not taken');
    try {
      await held.assertHeld();
      // Past half its time: asking renews it, so the other process still finds it held once the first TTL has gone.
      clock = new Date(clock.getTime() + TTL * 0.6);
      await held.assertHeld();
      clock = new Date(clock.getTime() + TTL * 0.6);
      expect(await b.acquire('build', TTL)).toEqual({ holder: 'replica-a' });
      // Lapsed by the clock (the process was paused, say) and taken: the next step is refused.
      clock = new Date(clock.getTime() + TTL * 2);
      expect(await b.acquire('build', TTL)).toEqual({ fencing: 2 });
      await expect(held.assertHeld()).rejects.toThrow(LeaseLostError);
      await expect(held.assertHeld()).rejects.toThrow(/passed to another process/);
    } finally {
      await held.release();
    }
    expect(await a.acquire('build', TTL)).toEqual({ holder: 'replica-b' });
  });

  it('asks the state store once for steps asking together, and refuses every step after the release', async () => {
    const held = await a.hold('build', TTL);
    if (!('fencing' in held)) throw new Error('not taken');
    const renew = a.renew.bind(a);
    let renewals = 0;
    a.renew = (...args) => ((renewals++), renew(...args));
    try {
      clock = new Date(clock.getTime() + TTL * 0.6);
      await Promise.all(Array.from({ length: 4 }, () => held.assertHeld()));
      expect(renewals).toBe(1);
    } finally {
      a.renew = renew;
      await held.release();
    }
    await expect(held.assertHeld()).rejects.toThrow(/was released/);
    // The released lease is not taken back by a late step: the other process takes it at once.
    expect(await b.acquire('build', TTL)).toEqual({ fencing: 2 });
  });

  it('counts a lease\'s confirmed time on a clock that never goes back: the wall clock set back a day does not stretch it', async () => {
    let elapsed = 0;
    const leases = new JobLeases(processes.stores[0], { now: () => clock, elapsed: () => elapsed, holder: 'replica-a' });
    const held = await leases.hold('build', TTL);
    if (!('fencing' in held)) throw new Error('not taken');
    const renew = leases.renew.bind(leases);
    leases.renew = () => Promise.reject(new Error('connection refused'));
    try {
      clock = new Date(clock.getTime() - 86_400_000);
      elapsed += TTL * 0.6;
      await expect(held.assertHeld()).rejects.toThrow(/could not be renewed: connection refused/);
    } finally {
      leases.renew = renew;
      await held.release();
    }
  });

  it('refuses a step when the state store cannot confirm a lease with less than half its time left, and allows it while enough is left', async () => {
    const held = await a.hold('build', TTL);
    if (!('fencing' in held)) throw new Error('not taken');
    const renew = a.renew.bind(a);
    a.renew = () => Promise.reject(new Error('connection refused'));
    try {
      await held.assertHeld();
      clock = new Date(clock.getTime() + TTL * 0.6);
      await expect(held.assertHeld()).rejects.toThrow(/could not be renewed: connection refused/);
      a.renew = renew;
      await held.assertHeld();
    } finally {
      a.renew = renew;
      await held.release();
    }
  });

  it('holds a lease after the run when asked (a cron firing that reaches the other process a moment later runs once)', async () => {
    let runs = 0;
    const work = async () => void runs++;
    expect((await a.runExclusive('schedule/hourly', TTL, work, { holdAfter: true })).ran).toBe(true);
    clock = new Date(clock.getTime() + 2_000);
    expect(await b.runExclusive('schedule/hourly', TTL, work, { holdAfter: true })).toEqual({ ran: false, holder: 'replica-a' });
    expect((await a.runExclusive('schedule/hourly', TTL, work, { holdAfter: true })).ran).toBe(true);
    expect(runs).toBe(2);
  });

  // Where /proc says which boot and pid namespace a process runs in (Linux); elsewhere no lease is taken early.
  it.runIf(process.platform === 'linux')('passes a lease held by a process of this host that has exited to the next process at once; a running one keeps it', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    // What this process's own holder says after the pid: the machine's boot and pid namespace.
    const space = new JobLeases(processes.stores[0]).holder.split('/')[2]!;
    expect(space).toMatch(/^[0-9a-f]{12}\.\d+$/);
    const gone = new JobLeases(processes.stores[0], { now: () => clock, elapsed: () => clock.getTime(), holder: `${hostname()}/${child.pid}/${space}/killed` });
    expect(await gone.acquire('transforms/build', TTL)).toEqual({ fencing: 1 });
    expect(await b.acquire('transforms/build', TTL)).toEqual({ fencing: 2 });
    // Kept: a running process of this host (the test's parent), and holders whose pid cannot be checked here — another
    // host, another pid namespace of this host (a container sharing its hostname), a holder written without one.
    const kept = [
      `${hostname()}/${process.ppid}/${space}/parent`,
      `elsewhere.example/${child.pid}/${space}/x`,
      `${hostname()}/${child.pid}/${space.split('.')[0]}.1/other-namespace`,
      `${hostname()}/${child.pid}/older-format`,
    ];
    for (const [i, holder] of kept.entries()) {
      expect(await new JobLeases(processes.stores[0], { now: () => clock, elapsed: () => clock.getTime(), holder }).acquire(`job-${i}`, TTL)).toEqual({ fencing: 1 });
      expect(await b.acquire(`job-${i}`, TTL)).toEqual({ holder });
    }
  });
});
