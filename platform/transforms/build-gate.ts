import type { Warehouse } from '../../kernel/warehouse/index.ts';
import type { HeldLease } from '../jobs/index.ts';
import { buildProject, type BuildReport, type BuildRequest } from './build-project.ts';

export class BuildInProgressError extends Error {
  override readonly name = 'BuildInProgressError';
  /** `where`: what is known of the running build ("since …" in this process, "in <process>" elsewhere). */
  constructor(readonly where: string) {
    super(`a build is already running (${where}); builds never overlap`);
  }
}

/** The one build slot, taken: `BuildGate.run` builds with it; `release` gives it back unused (idempotent). */
export interface BuildSlot {
  /** Rejects (LeaseLostError) when the build lease passed to another process: a build asks before each model writes. */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

/** Where the processes sharing a warehouse take turns to build (`JobLeases`, in the shared state store). */
export interface BuildLeases {
  hold(job: string, ttlMs: number): Promise<HeldLease | { holder: string }>;
}

/** The lease every platform process building the warehouse takes. */
export const BUILD_LEASE_JOB = 'transforms/build';
/**
 * How long a build's lease lasts unless renewed (renewed every third of it while the build runs): a process killed
 * mid-build keeps the other processes from building for at most this long.
 */
export const BUILD_LEASE_MS = 60_000;
/** How often a caller waiting for the slot (`reserve({ waitMs })`) asks again. */
const RESERVE_POLL_MS = 1_000;

/**
 * One build at a time per warehouse: the build API, the schedule and model refreshes share it, and a second
 * caller is refused, not queued (unless it asks to wait: `reserve({ waitMs })`). In one process a slot is taken
 * at once; with `leases` (the platform's job leases), a build also takes the warehouse's build lease, so API
 * replicas sharing a warehouse never build side by side (their staged tables would take each other's names).
 */
export class BuildGate {
  private holder: { since: Date } | undefined;

  constructor(
    private readonly leases?: BuildLeases,
    /** Run before each build, once the slot is held: the platform writes the events it has queued, which the models read. */
    private readonly beforeBuild?: () => Promise<void>,
  ) {}

  get busy(): boolean {
    return this.holder !== undefined;
  }

  /**
   * Takes the slot, so a caller can refuse before it commits to building: BuildInProgressError when a build runs here
   * or in another process — at once, or with `waitMs` once a build has kept it that long (a step that must build, not
   * a caller that can be told to come back).
   */
  async reserve({ waitMs = 0 }: { waitMs?: number } = {}): Promise<BuildSlot> {
    const until = performance.now() + waitMs;
    for (;;) {
      try {
        return await this.reserveNow();
      } catch (error) {
        const left = until - performance.now();
        if (!(error instanceof BuildInProgressError) || left <= 0) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(RESERVE_POLL_MS, left)));
      }
    }
  }

  private async reserveNow(): Promise<BuildSlot> {
    if (this.holder) throw new BuildInProgressError(`since ${this.holder.since.toISOString()}`);
    // Taken before the lease is asked for: a second caller of this process is refused at once.
    const holder = { since: new Date() };
    this.holder = holder;
    let lease: HeldLease | undefined;
    try {
      const held = await this.leases?.hold(BUILD_LEASE_JOB, BUILD_LEASE_MS);
      if (held && !('fencing' in held)) throw new BuildInProgressError(`in ${held.holder}`);
      lease = held;
    } catch (error) {
      this.holder = undefined;
      throw error;
    }
    let released: Promise<void> | undefined;
    return {
      assertHeld: async () => lease?.assertHeld(),
      // The slot is free here only once the lease is given up: a build taking it sooner would take the lease being released.
      release: () =>
        (released ??= (async () => {
          try {
            await lease?.release();
          } finally {
            if (this.holder === holder) this.holder = undefined;
          }
        })()),
    };
  }

  async run(warehouse: Warehouse, request: BuildRequest, slot?: BuildSlot): Promise<BuildReport> {
    const taken = slot ?? (await this.reserve());
    try {
      await this.beforeBuild?.();
      return await buildProject(warehouse, { ...request, guard: () => taken.assertHeld() });
    } finally {
      await taken.release();
    }
  }
}
