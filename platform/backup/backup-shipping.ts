import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerKey } from '../../kernel/ledger/index.ts';
import type { Logger } from '../../kernel/log/index.ts';
import { manifestObjectBytes, type BackupManifest } from './backup-manifest.ts';
import type { BackupTarget } from './backup-target.ts';
import type { Change, ChangeLog, LoggedChange } from './change-log.ts';
import { blobObject, sealSegment, segmentFormatFor, segmentObject, sha256, spanOf, type ChangeSegment, type ShippedBlob, type ShippedLogged } from './change-segments.ts';
import type { OpenSnapshot } from './backup-source.ts';
import { pruneBackups } from './prune-backups.ts';
import { sha256File } from '../../kernel/files/index.ts';

/** How often changes are shipped: what bounds the RPO. */
export const SHIP_EVERY_MS = 1000;
/** How long a base snapshot may wait for the writes under way before it tries again. */
const QUIESCE_TIMEOUT_MS = 2000;

export interface ShippingOptions {
  target: BackupTarget;
  log: ChangeLog;
  /** Begins a snapshot of everything the platform wrote (called while no write is under way): `BackupSource.begin`. */
  snapshot(): Promise<OpenSnapshot>;
  key(): LedgerKey;
  /** A folder of this process's own for staging (the change log's copies of loaded files live there too). */
  spoolDir: string;
  logger: Logger;
  everyMs?: number;
  /** Called with each base stored and its manifest object's bytes (the platform receipts their digest: `receiptEachBase`); a failure is logged, not fatal. */
  onBase?(manifest: BackupManifest, manifestObject: Buffer): Promise<unknown>;
  /** Backups are pruned after each new base to what a restore to any of the last `keepDays` days needs (`pruneBackups`); none when absent. */
  keepDays?: number;
  /** A new base snapshot once the current one is this old or this many changes follow it: what bounds a restore's replay (the RTO). */
  newBaseAfter?: { ms?: number; changes?: number };
}

/** By default a new base a day, or after a million changes, whichever comes first. */
const NEW_BASE_AFTER = { ms: 24 * 3600_000, changes: 1_000_000 };

export interface ShippingStatus {
  /** The base snapshot the shipped changes follow; undefined until it is stored. */
  backupId?: string;
  segments: number;
  /** When the last segment was stored, or the base when none has been. */
  lastShippedAt?: Date;
  /** Acknowledgement time of the newest change on the target. */
  shippedThrough?: Date;
  backlog: number;
  /** When the newest write was acknowledged, shipped or not: a restore that holds it has lost nothing. */
  lastWriteAt?: Date;
  /** Seconds since the base in force was taken (0 before the first). */
  baseAgeSeconds: number;
  /** Seconds since the oldest change not yet on the target was acknowledged (0: none waits): what a kill now would lose. */
  unshippedAgeSeconds: number;
}

/**
 * Continuous backup: a base snapshot of the database, then every `everyMs` the changes
 * committed since, as a signed segment on the target. A kill loses at most the changes
 * of the last interval; a restore replays the segments over the base.
 *
 * A later base is exported in the background while the changes keep going to the current
 * one's segments (an export of a large database takes longer than the RPO allows to wait);
 * the changes shipped meanwhile that the new base does not hold are shipped again as its
 * first segments, so each base with its segments is whole.
 */
export class BackupShipping {
  private base: BackupManifest | undefined;
  private segment = 0;
  private previous: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private shipping: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastShippedAt: Date | undefined;
  private shippedThrough: Date | undefined;
  private baseTakenAt = -Infinity;
  private changesSinceBase = 0;
  /** While a later base is exported: its position, and the changes after it shipped to the current base meanwhile. */
  private next: { position: number; shipped: LoggedChange[] } | undefined;
  private rebasing: Promise<void> | undefined;

  constructor(private readonly options: ShippingOptions) {}

  get status(): ShippingStatus {
    const oldest = this.options.log.oldestPendingAt;
    const lastWrite = this.options.log.lastAcknowledgedAt;
    return {
      backupId: this.base?.backupId, segments: this.segment, lastShippedAt: this.lastShippedAt, shippedThrough: this.shippedThrough, backlog: this.options.log.backlog,
      unshippedAgeSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      lastWriteAt: lastWrite === undefined ? undefined : new Date(lastWrite),
      baseAgeSeconds: this.base ? Math.max(0, (Date.now() - Date.parse(this.base.snapshotAt)) / 1000) : 0,
    };
  }

  /** Takes the first base snapshot (retrying while writes keep it waiting), then ships on a timer. */
  async start(): Promise<BackupManifest> {
    const begun = await this.begin();
    const base = await this.export(begun);
    this.adopt(base.manifest, begun.position);
    await this.afterBase(base.manifest, base.key);
    this.schedule();
    return base.manifest;
  }

  /** Resolves once no later base is being exported (what a test or a shutdown waits for). */
  async settled(): Promise<void> {
    await this.rebasing;
  }

  /** Ships what is pending now (after the shipment under way). */
  shipNow(): Promise<void> {
    this.shipping = this.shipping.then(() => this.ship()).catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'backup shipping: a segment could not be stored; its changes go with the next');
    });
    return this.shipping;
  }

  /**
   * Takes a new base now (after a later one being exported), adopted before it returns: changes
   * ship to it from then on. Its id; throws when its export failed (the current base stays).
   */
  async newBaseNow(): Promise<string> {
    await this.rebasing;
    const before = this.base?.backupId;
    const begun = this.shipping.then(() => this.rebase());
    this.shipping = begun.catch(() => undefined);
    await begun;
    await this.rebasing;
    if (!this.base || this.base.backupId === before) throw new Error('the new base snapshot failed (see the log); changes keep going to the current one');
    return this.base.backupId;
  }

  /** Stops the timer, ships what is left to the base in force, and waits for a later base being exported. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.base) await this.shipNow();
    await this.rebasing;
    if (this.base) await this.shipNow();
  }

  /** A snapshot begun while no write is under way, and the position of the last change it holds. */
  private async begin(): Promise<{ position: number; snapshot: OpenSnapshot }> {
    for (;;) {
      const begun = await this.options.log.quiesce(async (position) => ({ position, snapshot: await this.options.snapshot() }), QUIESCE_TIMEOUT_MS);
      if (begun) return begun;
      this.options.logger.warn({ waitedMs: QUIESCE_TIMEOUT_MS }, 'backup shipping: writes kept the base snapshot waiting; trying again');
    }
  }

  private async export(begun: { snapshot: OpenSnapshot }): Promise<{ manifest: BackupManifest; key: LedgerKey }> {
    const key = this.options.key();
    try {
      return { manifest: await begun.snapshot.export({ target: this.options.target, key }), key };
    } finally {
      await begun.snapshot.end();
    }
  }

  /** From now on changes go to `manifest`'s segments, numbered from 1: those up to `position` are in it. */
  private adopt(manifest: BackupManifest, position: number): void {
    this.base = manifest;
    this.segment = 0;
    this.previous = null;
    this.changesSinceBase = 0;
    this.baseTakenAt = performance.now();
    this.lastShippedAt = new Date();
    void this.dropSpooled(this.options.log.discardThrough(position));
    this.options.logger.info({ backup: manifest.backupId, target: this.options.target.description }, 'backup shipping: base snapshot stored; shipping changes');
  }

  private async afterBase(manifest: BackupManifest, key: LedgerKey): Promise<void> {
    if (this.options.keepDays !== undefined) await this.prune(this.options.keepDays);
    await this.options.onBase?.(manifest, manifestObjectBytes(manifest, key)).catch((error: unknown) => {
      this.options.logger.error({ err: error, backup: manifest.backupId }, 'backup shipping: the base snapshot was stored but its receipt was not');
    });
  }

  /** Begins a later base (inside the shipping chain, so no segment is being stored) and exports it in the background. */
  private async rebase(): Promise<void> {
    const begun = await this.begin();
    this.next = { position: begun.position, shipped: [] };
    this.rebasing = (async () => {
      try {
        const { manifest, key } = await this.export(begun);
        // Switched between shipments: the changes after the position already shipped to the old base go again, first, to the new one.
        await (this.shipping = this.shipping.then(() => {
          const again = this.next!.shipped;
          this.next = undefined;
          this.adopt(manifest, begun.position);
          this.options.log.putBack(again);
        }));
        await this.afterBase(manifest, key);
      } catch (error) {
        // The changes kept to ship again to the base that failed have gone to the current one: their files are done with.
        const kept = this.next?.shipped ?? [];
        this.next = undefined;
        // Not awaited: until `rebasing` is cleared below, a shipment finishing meanwhile must not start another base.
        void this.dropSpooled(kept).catch(() => undefined);
        this.options.logger.error({ err: error }, 'backup shipping: a new base snapshot failed; changes keep going to the current one');
      } finally {
        this.rebasing = undefined;
      }
    })();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.shipNow().finally(() => this.schedule()), this.options.everyMs ?? SHIP_EVERY_MS);
    this.timer.unref();
  }

  private async ship(): Promise<void> {
    const base = this.base;
    if (!base) return;
    const changes = this.options.log.take();
    if (changes.length > 0) {
      try {
        const number = this.segment + 1;
        const shipped: ShippedLogged[] = [];
        for (const logged of changes) shipped.push(await this.shipBlob(base.backupId, logged));
        const segment: ChangeSegment = { format: segmentFormatFor(shipped), backupId: base.backupId, segment: number, previous: this.previous, ...spanOf(changes), changes: shipped };
        const bytes = await sealSegment(segment, this.options.key());
        await mkdir(this.options.spoolDir, { recursive: true });
        const staged = join(this.options.spoolDir, `segment-${number}.json`);
        await writeFile(staged, bytes);
        try {
          await this.options.target.put(segmentObject(base.backupId, number), staged);
        } finally {
          await rm(staged, { force: true });
        }
        this.segment = number;
        this.previous = sha256(bytes);
        this.lastShippedAt = new Date();
        this.shippedThrough = new Date(changes.at(-1)!.at);
      } catch (error) {
        this.options.log.putBack(changes);
        throw error;
      }
      // Changes a base being exported does not hold ship again to it; their spooled files are kept until then.
      const next = this.next;
      if (next) next.shipped.push(...changes.filter((logged) => logged.seq > next.position));
      await this.dropSpooled(next ? changes.filter((logged) => logged.seq <= next.position) : changes);
      this.changesSinceBase += changes.length;
    }
    const after = { ...NEW_BASE_AFTER, ...this.options.newBaseAfter };
    if (!this.next && !this.stopped && (this.changesSinceBase >= after.changes || performance.now() - this.baseTakenAt >= after.ms)) await this.rebase();
  }

  private async prune(keepDays: number): Promise<void> {
    try {
      const pruned = await pruneBackups(this.options.target, new Date(Date.now() - keepDays * 86_400_000));
      if (pruned.removed.length > 0) this.options.logger.info({ removed: pruned.removed, objects: pruned.objects, keepDays }, 'backup shipping: backups past the window pruned');
    } catch (error) {
      this.options.logger.error({ err: error }, 'backup shipping: pruning old backups failed; the next base tries again');
    }
  }

  /** A file load's files go to the target as objects of their own; the segment names each and its digest. */
  private async shipBlob(backupId: string, logged: LoggedChange): Promise<ShippedLogged> {
    const { seq, at, change } = logged;
    const put = async (object: string, file: string): Promise<ShippedBlob> => {
      await this.options.target.put(object, file);
      return { object, sha256: await sha256File(file), bytes: (await stat(file)).size };
    };
    switch (change.op) {
      case 'csv':
        return { seq, at, change: { op: 'csv', table: change.table, columns: change.columns, ...(await put(blobObject(backupId, seq), change.file)) } };
      case 'parquet': {
        const { files, ...load } = change;
        const objects: ShippedBlob[] = [];
        for (const [index, file] of files.entries()) objects.push(await put(blobObject(backupId, seq, { index, extension: 'parquet' }), file));
        return { seq, at, change: { ...load, objects } };
      }
      default:
        return { seq, at, change };
    }
  }

  private async dropSpooled(changes: readonly LoggedChange[]): Promise<void> {
    for (const { change } of changes) for (const file of spooledFiles(change)) await rm(file, { force: true });
  }
}

/** The local copies a change's file loads keep until shipped. */
function spooledFiles(change: Change): readonly string[] {
  return change.op === 'csv' ? [change.file] : change.op === 'parquet' ? change.files : [];
}
