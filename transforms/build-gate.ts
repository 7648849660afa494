import type { Warehouse } from '../warehouse/index.ts';
import { buildProject, type BuildReport, type BuildRequest } from './build-project.ts';

export class BuildInProgressError extends Error {
  override readonly name = 'BuildInProgressError';
  constructor(readonly runningSince: Date) {
    super(`a build is already running (since ${runningSince.toISOString()}); builds never overlap`);
  }
}

/** One build at a time per warehouse: the build API and the schedule share it, and a second caller is refused, not queued. */
export class BuildGate {
  private running: Date | undefined;

  get busy(): boolean {
    return this.running !== undefined;
  }

  async run(warehouse: Warehouse, request: BuildRequest): Promise<BuildReport> {
    if (this.running) throw new BuildInProgressError(this.running);
    this.running = new Date();
    try {
      return await buildProject(warehouse, request);
    } finally {
      this.running = undefined;
    }
  }
}
