import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../kernel/errors/index.ts';
import type { StateStore } from '../../kernel/state/index.ts';

/** What `runExclusive` did: ran `work` under lease `fencing`, or left it to the holder. */
export type ExclusiveRun<T> = { ran: true; fencing: number; value: T } | { ran: false; holder: string };

/** A lease this process holds and renews until `release` (idempotent: every call answers the first one's outcome). */
export interface HeldLease {
  fencing: number;
  /**
   * Resolves when the lease is this process's for at least half its time to live more (renewing it first when less is
   * known to be left); rejects with LeaseLostError when another process took it or the state store cannot say. Work
   * that must not overlap another holder's asks before each step.
   */
  assertHeld(): Promise<void>;
  release(options?: { holdAfter?: boolean }): Promise<void>;
}

/** The lease passed to another process, or could not be confirmed: whatever it guarded must stop. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

type LeaseRow = { holder: string; fencing: number; expires_at: Date };

/**
 * Cluster-wide jobs (retention, SLA checks, grant revocation, scheduled builds) run by one platform
 * process at a time: each takes the job's lease in the shared state store before it runs it. A lease
 * lasts `ttlMs` unless renewed, so a process killed while holding one delays the job by at most that;
 * each new holder gets a larger fencing number.
 */
export class JobLeases {
  /** This process, as lease rows name it. */
  readonly holder: string;

  /** The wall clock: what lease rows' `expires_at` are compared with, across processes. */
  private readonly now: () => Date;
  /**
   * Milliseconds on a clock that never goes back (`performance.now()`): how long a lease is known to be this process's
   * since it was last taken or renewed. On the wall clock, this clock set back stretched that past a failed renewal.
   * The rows' `expires_at` are still written by each process's wall clock: processes whose clocks disagree by more than
   * half a lease can overlap (NTP keeps them within milliseconds).
   */
  private readonly elapsed: () => number;

  constructor(
    private readonly state: StateStore,
    { now = () => new Date(), elapsed = () => performance.now(), holder }: { now?: () => Date; elapsed?: () => number; holder?: string } = {},
  ) {
    this.now = now;
    this.elapsed = elapsed;
    this.holder = holder ?? `${hostname()}/${process.pid}/${PROCESS_SPACE}/${randomUUID().slice(0, 8)}`;
  }

  /**
   * Takes (or renews) `job` for `ttlMs` when it is free, expired, already this process's, or held by a process of this
   * host that has exited (a killed CLI build need not hold the next one off until its lease lapses): its fencing
   * number, else who holds it.
   */
  async acquire(job: string, ttlMs: number): Promise<{ fencing: number } | { holder: string }> {
    try {
      return await this.state.transaction(async (tx) => {
        const now = this.now();
        const until = new Date(now.getTime() + ttlMs);
        const [row] = await tx.query<LeaseRow>('SELECT holder, fencing, expires_at FROM job_leases WHERE job = ?', [job]);
        if (!row) {
          await tx.insert('job_leases', [{ job, holder: this.holder, fencing: 1, expires_at: until }]);
          return { fencing: 1 };
        }
        const live = new Date(row.expires_at).getTime() > now.getTime() && !(row.holder !== this.holder && exitedOnThisHost(row.holder));
        if (live && row.holder !== this.holder) return { holder: row.holder };
        const fencing = live ? Number(row.fencing) : Number(row.fencing) + 1;
        const taken = await tx.compareAndSet('job_leases', { job }, { holder: row.holder, fencing: Number(row.fencing) }, { holder: this.holder, fencing, expires_at: until });
        return taken ? { fencing } : { holder: 'another process (it took the lease first)' };
      });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'STATE_CONFLICT') return { holder: 'another process (it took the lease first)' };
      throw error;
    }
  }

  /**
   * Extends `job`'s lease by `ttlMs` when this process still holds it under `fencing`, lapsed or not (nobody took it
   * meanwhile): a run keeps one fencing number, so its release frees what it renewed.
   */
  async renew(job: string, fencing: number, ttlMs: number): Promise<boolean> {
    const until = new Date(this.now().getTime() + ttlMs);
    return this.state.transaction((tx) => tx.compareAndSet('job_leases', { job }, { holder: this.holder, fencing }, { expires_at: until }));
  }

  /** Gives `job` up at once when this process holds it under `fencing` (a finished run need not wait for the lease to lapse). */
  async release(job: string, fencing: number): Promise<void> {
    await this.state.transaction((tx) => tx.compareAndSet('job_leases', { job }, { holder: this.holder, fencing }, { expires_at: new Date(0) }));
  }

  /**
   * Takes `job`'s lease when this process can, renewing it every third of `ttlMs` until the handle's `release`
   * (which gives it up, or with `holdAfter` lets it lapse); when another process holds it, says which.
   */
  async hold(job: string, ttlMs: number): Promise<HeldLease | { holder: string }> {
    const asked = this.elapsed();
    const lease = await this.acquire(job, ttlMs);
    if ('holder' in lease) return lease;
    // Until when the lease is known to be this process's: from the start of the last call that took or renewed it.
    let confirmedUntil = asked + ttlMs;
    let lost: string | undefined;
    let released: Promise<void> | undefined;
    // One renewal at a time, shared by the timer and every step asking (models side by side ask together). A renewal
    // still in flight when the run ends would take the lease back after the release: the release waits for it.
    let renewing: Promise<void> | undefined;
    const renew = (): Promise<void> =>
      (renewing ??= (async () => {
        const at = this.elapsed();
        if (await this.renew(job, lease.fencing, ttlMs)) confirmedUntil = Math.max(confirmedUntil, at + ttlMs);
        else lost ??= `the lease "${job}" (fencing ${lease.fencing}) passed to another process`;
      })().finally(() => (renewing = undefined)));
    const renewal = setInterval(() => void renew().catch(() => undefined), Math.max(1, Math.floor(ttlMs / 3)));
    renewal.unref();
    return {
      fencing: lease.fencing,
      assertHeld: async () => {
        if (released) throw new LeaseLostError(`the lease "${job}" (fencing ${lease.fencing}) was released`);
        if (!lost && confirmedUntil - this.elapsed() < ttlMs / 2) {
          try {
            await renew();
          } catch (error) {
            if (confirmedUntil - this.elapsed() < ttlMs / 2) throw new LeaseLostError(`the lease "${job}" could not be renewed: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        if (lost) throw new LeaseLostError(lost);
      },
      release: ({ holdAfter = false } = {}) =>
        (released ??= (async () => {
          clearInterval(renewal);
          await renewing?.catch(() => undefined);
          if (holdAfter) await this.acquire(job, ttlMs).catch(() => undefined);
          else await this.release(job, lease.fencing).catch(() => undefined);
        })()),
    };
  }

  /**
   * Runs `work` when this process can take `job`'s lease, renewing it while `work` runs and giving it up after
   * (or, with `holdAfter`, letting it lapse: a cron firing that reaches every process a little apart then runs
   * once); when another process holds it, does nothing.
   */
  async runExclusive<T>(job: string, ttlMs: number, work: (fencing: number) => Promise<T>, { holdAfter = false } = {}): Promise<ExclusiveRun<T>> {
    const lease = await this.hold(job, ttlMs);
    if (!('fencing' in lease)) return { ran: false, holder: lease.holder };
    try {
      return { ran: true, fencing: lease.fencing, value: await work(lease.fencing) };
    } finally {
      await lease.release({ holdAfter });
    }
  }
}

/**
 * Where this process's pid means something: the machine's boot and the pid namespace (`<boot id>.<namespace inode>`;
 * empty where Linux's /proc does not say). Containers sharing a hostname (host networking) differ in it.
 */
const PROCESS_SPACE = processSpace();

function processSpace(): string {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replaceAll('-', '').slice(0, 12);
    const namespace = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
    return boot && namespace ? `${boot}.${namespace}` : '';
  } catch {
    return '';
  }
}

/**
 * Whether `holder` names a process of this host and pid namespace (`host/pid/space/…`, as `JobLeases` writes it) that
 * is no longer running. Only a definite "no such process" counts: a process of another user, host or namespace, or a
 * holder written without them, is taken to be running.
 */
function exitedOnThisHost(holder: string): boolean {
  const [host, pid, space] = holder.split('/');
  if (host !== hostname() || !PROCESS_SPACE || space !== PROCESS_SPACE || !/^\d+$/.test(pid ?? '') || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
