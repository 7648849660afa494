import { resolve } from 'node:path';
import { assertIdentifier, type Warehouse } from '../../kernel/warehouse/index.ts';
import type { BuildGate, BuildSlot } from './build-gate.ts';
import type { BuildReport, BuildTrigger } from './build-project.ts';
import { compileProject } from './compile-project.ts';
import { copyRowsMadeBy } from './model-stamps.ts';
import type { ModelGenerator } from './model-generator.ts';
import { RAW_SOURCES } from './raw-sources.ts';

export interface ModelRefreshDeps {
  warehouse: Warehouse;
  builds: BuildGate;
  generators: readonly ModelGenerator[];
  modelsDir: string;
  targetDir: string;
  /** The tenant builds run as (the platform operator's). */
  tenant: string;
}

/**
 * How long a model refresh waits for a running build before it fails (`BUILD_IN_PROGRESS`): its steps run inside
 * API calls, which a balancer gives up on after a minute (deploy/scale-out/haproxy.cfg `timeout server`).
 */
const SLOT_WAIT_MS = 30_000;

/**
 * What a destructive migration of a model table needs: the model as the project declares it, a
 * snapshot of its rows, a full refresh through the build runner, and the snapshot put back. Every
 * tenant's rows move together: this is the platform operator's tool, never a tenant's read.
 */
export class ModelRefresh {
  constructor(private readonly deps: ModelRefreshDeps) {}

  /** How the project builds `model`, or undefined when it declares no such model. */
  async describe(model: string): Promise<{ materialized: string; uniqueKey: string[] } | undefined> {
    const project = await compileProject(resolve(this.deps.modelsDir), RAW_SOURCES, this.deps.generators);
    const found = project.models.get(model);
    return found && { materialized: found.config.materialized, uniqueKey: [...found.config.uniqueKey] };
  }

  async exists(model: string): Promise<boolean> {
    return this.deps.warehouse.hasRelation(assertIdentifier(model));
  }

  async rows(table: string): Promise<number> {
    const [row] = await this.deps.warehouse.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${assertIdentifier(table)}`);
    return Number(row?.n ?? 0);
  }

  /** Copies `model`'s rows to `snapshot` (replacing an older copy), and what made them; the rows copied. */
  async snapshot(model: string, snapshot: string): Promise<number> {
    await this.withSlot(async () => {
      await this.deps.warehouse.materialize(assertIdentifier(snapshot), 'table', `SELECT * FROM ${assertIdentifier(model)}`);
      await copyRowsMadeBy(this.deps.warehouse, this.deps.tenant, `snapshot of ${model}`, model, snapshot);
    });
    return this.rows(snapshot);
  }

  /** Makes `model` the snapshot's rows again, with the unique key incremental builds merge on. */
  async restore(model: string, snapshot: string, uniqueKey: readonly string[]): Promise<number> {
    await this.withSlot(async () => {
      // Written outside a build: what a build recorded of the model no longer describes its table, but what made the
      // snapshot's rows does (a build then builds it whole if its definition changed since).
      await copyRowsMadeBy(this.deps.warehouse, this.deps.tenant, `restore of ${snapshot}`, snapshot, model);
      await this.deps.warehouse.materialize(assertIdentifier(model), 'table', `SELECT * FROM ${assertIdentifier(snapshot)}`, uniqueKey);
    });
    return this.rows(model);
  }

  async dropSnapshot(snapshot: string): Promise<void> {
    await this.deps.warehouse.execute(`DROP TABLE IF EXISTS ${assertIdentifier(snapshot)}`);
  }

  /** Rebuilds every model from scratch, as the operator's build: what an erasure does once raw rows are gone. Throws when a model fails. */
  async rebuildAll(trigger: BuildTrigger): Promise<string> {
    const { warehouse, builds, generators, modelsDir, targetDir, tenant } = this.deps;
    const report = await this.withSlot((slot) => builds.run(warehouse, { modelsDir, targetDir, generators, fullRefresh: true, tenant, trigger }, slot));
    const failed = report.results.filter((r) => r.status === 'error');
    if (failed.length > 0) throw new Error(`${failed.length} of ${report.results.length} models did not rebuild: ${failed.map((r) => r.model).join(', ').slice(0, 400)}`);
    return `${report.results.length} models rebuilt from scratch (run ${report.run_id})`;
  }

  /** Rebuilds `model` from scratch (`--full-refresh`), as the operator's build. */
  fullRefresh(model: string): Promise<BuildReport> {
    const { warehouse, builds, generators, modelsDir, targetDir, tenant } = this.deps;
    return this.withSlot((slot) => builds.run(warehouse, { modelsDir, targetDir, generators, select: [model], fullRefresh: true, tenant, trigger: 'api' }, slot));
  }

  /**
   * Runs `work` holding the build slot, waiting for a build running here or on another replica to end: a snapshot,
   * a restore or a refresh replaces tables as a build does (their staged names would meet), and a governed step
   * must do its work, not be refused.
   */
  private async withSlot<T>(work: (slot: BuildSlot) => Promise<T>): Promise<T> {
    const slot = await this.deps.builds.reserve({ waitMs: SLOT_WAIT_MS });
    try {
      await this.deps.warehouse.settleDdl?.();
      // The settle may have waited on a cluster: the work writes only under a lease still held.
      await slot.assertHeld();
      return await work(slot);
    } finally {
      await slot.release();
    }
  }
}
