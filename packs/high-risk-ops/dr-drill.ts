import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import { MANIFEST_OBJECT, backupFolder, backupNow, restoreBackup, type BackupManifest, type BackupServices, type RestoreReport } from '../../platform/backup/index.ts';
import type { PlatformEvent } from '../../platform/ingest/index.ts';
import type { StepContext } from '../../platform/workflows/index.ts';
import type { SuppliedExecutor } from './supplied-executors.ts';

/** The seed's GA bar is 60 minutes; the DR issue's goal on one machine is 5. */
export const RTO_TARGET_SECONDS = 300;

export interface DrillOutcome {
  /**
   * `continuous`: the drill restored what continuous backup had shipped when it began (the base and
   * its changes), as a disaster then would have found it. `snapshot`: it took a backup and restored that.
   */
  mode: 'continuous' | 'snapshot';
  backupId: string;
  snapshotAt: string;
  /** SHA-256 of each backed-up object, as the signed manifest lists it. */
  objects: { name: string; sha256: string; bytes: number }[];
  rows: number;
  ledgers: Record<string, { size: number; rootHash: string }>;
  backupSeconds: number;
  /** Restore start to a validated database. */
  rtoSeconds: number;
  rtoTargetSeconds: number;
  rtoMet: boolean;
  /**
   * What a disaster when the restore began would have lost. Continuous: from the newest write restored
   * to the newest write acknowledged then (0 when every write was on the target). Snapshot: the
   * snapshot's age then (every write after it is lost).
   */
  rpoSeconds: number;
  /** Continuous: the shipped changes replayed over the base. */
  changesReplayed: number;
  scratchDestroyed: boolean;
}

/**
 * The DR drill's executor: restore into a scratch folder what continuous backup has shipped (when
 * it runs), else a backup of the running platform's database taken for the drill (under its writer,
 * one snapshot) — every object's checksum, the row counts and each tenant's ledger root checked —,
 * destroy the scratch, and report what was
 * achieved against the targets: the run's evidence, and a `dr.drill_completed` event in the
 * operator's stream (what the leadership page shows: the last drill's age, RTO and RPO).
 */
export function drDrill(backups: BackupServices, emit?: (tenant: string, events: readonly PlatformEvent[]) => Promise<void>): SuppliedExecutor<unknown> {
  const scratch = (context: StepContext<unknown>) => join(backups.scratchDir, context.runId);
  // On ClickHouse the warehouse is restored into a database of its own on the same server.
  const scratchDatabase = (context: StepContext<unknown>) => backups.source?.scratchDatabase?.(`drill_${context.runId.replace(/[^A-Za-z0-9_]/g, '_')}`);
  const destroy = async (context: StepContext<unknown>) => {
    await rm(scratch(context), { recursive: true, force: true });
    await (await scratchDatabase(context))?.drop();
    return { scratchDestroyed: true };
  };
  return {
    parseParams: (input) => {
      if (input === undefined || input === null) return {};
      const params = input as Record<string, unknown>;
      if (typeof input !== 'object' || Array.isArray(input) || Object.keys(params).some((key) => key !== 'models') || (params.models !== undefined && typeof params.models !== 'boolean')) {
        throw new DomainError('WORKFLOW_PARAMS_INVALID', 'dr-drill takes one optional param, models: false to skip rebuilding the models on the restore (as companyos restore --no-models).');
      }
      return params.models === false ? { models: false } : {};
    },
    async preflight() {
      if (!backups.source) throw new DomainError('WORKFLOW_PARAMS_INVALID', 'dr-drill: this platform\'s stores cannot be backed up (DuckDB, or ClickHouse with its state beside it, are).');
      const complete = (await backups.target.list('backups')).filter((name) => name.endsWith(`/${MANIFEST_OBJECT}`));
      return { target: backups.target.description, completeBackups: complete.length, latest: complete.at(-1)?.split('/')[1] ?? null, rtoTargetSeconds: RTO_TARGET_SECONDS };
    },
    async execute(context) {
      const say = (line: string) => context.log(line);
      const started = context.now().getTime();
      const continuous = backups.continuous?.();
      // A retry after a crash starts from an empty scratch folder (and database).
      await destroy(context);
      const into = await scratchDatabase(context);
      const restore = (backupId?: string) => restoreBackup({ target: backups.target, keys: backups.verifierKeys, dataDir: scratch(context), clickhouse: into?.clickhouse, backupId, tables: backups.tables, progress: say, now: () => context.now(),
        rebuild: backups.rebuild && (context.params as { models?: boolean }).models !== false ? (warehouse) => backups.rebuild!(warehouse, scratch(context)) : undefined,
      });
      let report: RestoreReport;
      let backupSeconds = 0;
      let rpoSeconds: number;
      try {
        if (continuous?.backupId) {
          // As a disaster now would find it: the newest base and whatever has been shipped after it, not a backup taken for the drill.
          const lastWrite = continuous.lastWriteAt?.getTime();
          say(`drill: restoring the continuous backup (base ${continuous.backupId}, ${continuous.segments} segments shipped)`);
          report = await restore();
          rpoSeconds = lastWrite === undefined ? 0 : Math.max(0, (lastWrite - Date.parse(report.recoveredThrough)) / 1000);
        } else {
          const manifest = await backupNow(backups.source!, { target: backups.target, key: backups.signingKey(), progress: say, now: () => context.now() });
          backupSeconds = (context.now().getTime() - started) / 1000;
          const restoreStarted = context.now();
          report = await restore(manifest.backupId);
          rpoSeconds = (restoreStarted.getTime() - new Date(manifest.snapshotAt).getTime()) / 1000;
        }
      } finally {
        await into?.drop();
      }
      const { scratchDestroyed } = await destroy(context);
      const manifest: BackupManifest = report.manifest;
      const outcome: DrillOutcome = {
        mode: continuous?.backupId ? 'continuous' : 'snapshot',
        backupId: manifest.backupId,
        snapshotAt: manifest.snapshotAt,
        objects: manifest.objects.map(({ name, sha256, bytes }) => ({ name, sha256, bytes })),
        rows: report.rows,
        ledgers: manifest.ledger,
        backupSeconds,
        rtoSeconds: report.rtoMs / 1000,
        rtoTargetSeconds: RTO_TARGET_SECONDS,
        rtoMet: report.rtoMs / 1000 <= RTO_TARGET_SECONDS,
        rpoSeconds,
        changesReplayed: report.replayed.changes,
        scratchDestroyed,
      };
      say(`drill: RTO ${outcome.rtoSeconds.toFixed(1)} s (target ${RTO_TARGET_SECONDS} s), RPO ${outcome.rpoSeconds.toFixed(1)} s, ${outcome.rows} rows, ${Object.keys(outcome.ledgers).length} ledgers verified`);
      return { ...outcome, objectsDigest: createHash('sha256').update(JSON.stringify(outcome.objects)).digest('hex') };
    },
    async verify(context) {
      const outcome = context.outputs.execute as DrillOutcome | undefined;
      if (!outcome) throw new Error('dr-drill: the execute step left no outcome');
      const left = await readdir(scratch(context)).catch(() => []);
      if (left.length > 0) throw new Error(`dr-drill: the scratch restore ${scratch(context)} still holds ${left.length} files`);
      const stored = await backups.target.list(backupFolder(outcome.backupId));
      if (!stored.includes(`${backupFolder(outcome.backupId)}/${MANIFEST_OBJECT}`)) throw new Error(`dr-drill: backup ${outcome.backupId} has no manifest on ${backups.target.description}`);
      await emit?.(context.tenant, [{
        specversion: '1.0', id: `${context.runId}:drill_completed`, source: '/companyos/dr', type: 'dr.drill_completed', time: context.now().toISOString(),
        subject: context.runId, tenantid: context.tenant,
        data: {
          run_id: context.runId, backup_id: outcome.backupId, rto_seconds: outcome.rtoSeconds, rto_target_seconds: outcome.rtoTargetSeconds, rto_met: outcome.rtoMet,
          rpo_seconds: outcome.rpoSeconds, mode: outcome.mode, changes_replayed: outcome.changesReplayed, backup_seconds: outcome.backupSeconds, rows: outcome.rows, ledgers_verified: Object.keys(outcome.ledgers).length,
        },
      }]);
      return { backupId: outcome.backupId, rtoMet: outcome.rtoMet, scratchDestroyed: true, objectsOnTarget: stored.length };
    },
    rollback: (context) => destroy(context),
  };
}
