import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { buildProject, type BuildReport, type BuildRequest } from './build-project.ts';

export class BuildInProgressError extends Error {
  override readonly name = 'BuildInProgressError';
  constructor(readonly runningSince: Date) {
    super(`a build is already running (since ${runningSince.toISOString()}); builds never overlap`);
  }
}

/** The one build slot, taken: `BuildGate.run` builds with it; `release` gives it back unused (idempotent). */
export interface BuildSlot {
  release(): void;
}

/** One build at a time per warehouse: the build API and the schedule share it, and a second caller is refused, not queued. */
export class BuildGate {
  private holder: { since: Date } | undefined;

  get busy(): boolean {
    return this.holder !== undefined;
  }

  /** Takes the slot now (BuildInProgressError when it is taken), so a caller can refuse before it commits to building. */
  reserve(): BuildSlot {
    if (this.holder) throw new BuildInProgressError(this.holder.since);
    const holder = { since: new Date() };
    this.holder = holder;
    return {
      release: () => {
        if (this.holder === holder) this.holder = undefined;
      },
    };
  }

  async run(warehouse: Warehouse, request: BuildRequest, slot: BuildSlot = this.reserve()): Promise<BuildReport> {
    try {
      return await buildProject(warehouse, request);
    } finally {
      slot.release();
    }
  }
}
