import { randomBytes } from 'node:crypto';
import type { Warehouse } from '../../kernel/warehouse/index.ts';

export interface Readiness {
  warehouse: string;
  schema_version: number;
}

/**
 * Whether the warehouse takes work: it answers a read (the schema version) and
 * accepts a write (this process's row in `readiness_probe`, replaced each time),
 * within `timeoutMs`. One check at a time, its outcome kept for `cacheMs` after
 * it settles, so a probe storm costs the warehouse one tiny write a second.
 */
export class ReadinessProbe {
  private readonly probeId = `probe-${randomBytes(6).toString('hex')}`;
  private last: { settledAt: number | undefined; outcome: Promise<Readiness> } | undefined;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly options: { cacheMs: number; timeoutMs: number } = { cacheMs: 1000, timeoutMs: 5000 },
  ) {}

  /** Resolves when the warehouse reads and writes; rejects with the engine's error (or the timeout) otherwise. */
  check(): Promise<Readiness> {
    const last = this.last;
    if (last && (last.settledAt === undefined || performance.now() - last.settledAt < this.options.cacheMs)) return last.outcome;
    const current = { settledAt: undefined as number | undefined, outcome: this.probe() };
    const settle = () => void (current.settledAt = performance.now());
    current.outcome.then(settle, settle);
    this.last = current;
    return current.outcome;
  }

  private async probe(): Promise<Readiness> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the warehouse did not answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    });
    try {
      return await Promise.race([this.readAndWrite(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async readAndWrite(): Promise<Readiness> {
    const [row] = await this.warehouse.query<{ version: number }>('SELECT max(version) AS version FROM schema_migrations');
    await this.warehouse.mergeInto('readiness_probe', `SELECT '${this.probeId}' AS probe_id, now() AS probed_at`, ['probe_id']);
    return { warehouse: this.warehouse.engine, schema_version: Number(row?.version ?? 0) };
  }
}
