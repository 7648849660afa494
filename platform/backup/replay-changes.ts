import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import type { KeySource } from '../../kernel/ledger/index.ts';
import type { StateStore } from '../../kernel/state/index.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { changesFolder, openSegment, segmentObject, sha256, type ChangeSegment, type ShippedBlob } from './change-segments.ts';
import { ReplayBatch } from './replay-batch.ts';
import type { BackupTarget } from './backup-target.ts';
import { sha256File } from '../../kernel/files/index.ts';

export interface FetchOptions {
  target: BackupTarget;
  keys: KeySource;
  backupId: string;
  /** Local folder the objects are fetched into. */
  staging: string;
  progress(line: string): void;
}

export interface ApplyOptions {
  /** Where `fetchChanges` put the objects. */
  staging: string;
  /** Replay the changes acknowledged up to this time only. */
  toTime?: Date;
  progress(line: string): void;
}

export interface ReplayReport {
  segments: number;
  changes: number;
  /** Acknowledgement time of the last change replayed: the newest write the restore holds. */
  recoveredThrough?: Date;
  /** Shipped changes after `toTime`, left out. */
  leftOut: number;
  /** Time spent applying them. */
  seconds: number;
}

/**
 * Applies a backup's shipped changes (fetched and checked by `fetchChanges`) in order, up to
 * `toTime`: warehouse rows as they were written, each state transaction's steps, with every
 * compare-and-set required to apply again.
 */
export async function applyChanges(warehouse: Warehouse, state: StateStore, segments: readonly ChangeSegment[], options: ApplyOptions): Promise<ReplayReport> {
  const started = performance.now();
  const report: ReplayReport = { segments: segments.length, changes: 0, leftOut: 0, seconds: 0 };
  const batch = new ReplayBatch(warehouse, state, options.staging);
  for (const segment of segments) {
    for (const logged of segment.changes) {
      if (options.toTime && logged.at > options.toTime.getTime()) {
        report.leftOut++;
        continue;
      }
      await batch.add(logged.change, segment.segment);
      report.changes++;
      report.recoveredThrough = new Date(logged.at);
    }
  }
  await batch.flush();
  report.seconds = (performance.now() - started) / 1000;
  options.progress(`${report.changes} changes of ${report.segments} segments replayed in ${report.seconds.toFixed(1)} s${report.recoveredThrough ? ` (through ${report.recoveredThrough.toISOString()})` : ''}${report.leftOut ? `; ${report.leftOut} after ${options.toTime!.toISOString()} left out` : ''}`);
  return report;
}

/**
 * Fetches and checks every segment of a backup's shipped changes — signature, number, the chain
 * of digests, the kinds of change it holds, each loaded file's size and digest — naming the first that fails; before any is used.
 */
export async function fetchChanges(options: FetchOptions): Promise<ChangeSegment[]> {
  const names = (await options.target.list(changesFolder(options.backupId))).filter((name) => name.endsWith('.dsse.json')).sort();
  const segments: ChangeSegment[] = [];
  let previous: string | null = null;
  for (let i = 0; i < names.length; i++) {
    const expected = segmentObject(options.backupId, i + 1);
    if (names[i] !== expected) throw new DomainError('BACKUP_OBJECT_MISSING', `${expected} is missing from ${options.target.description}, and later segments are there: the changes cannot be replayed past it.`);
    const local = join(options.staging, `segment-${i + 1}.json`);
    await options.target.get(expected, local);
    const bytes = await readFile(local);
    const segment = await openSegment(bytes, options.keys, expected);
    if (segment.backupId !== options.backupId || segment.segment !== i + 1 || segment.previous !== previous) {
      throw new DomainError('BACKUP_OBJECT_CORRUPT', `${expected} is not segment ${i + 1} of backup ${options.backupId} following the segment before it.`);
    }
    for (const { change } of segment.changes) {
      if (change.op === 'csv') await fetchBlob(options, change);
      if (change.op === 'parquet') for (const blob of change.objects) await fetchBlob(options, blob);
    }
    previous = sha256(bytes);
    segments.push(segment);
  }
  if (segments.length > 0) options.progress(`${segments.length} change segments of ${options.backupId} verified`);
  return segments;
}

async function fetchBlob(options: FetchOptions, change: ShippedBlob): Promise<void> {
  const local = join(options.staging, change.object.split('/').pop()!);
  if (!(await options.target.get(change.object, local))) throw new DomainError('BACKUP_OBJECT_MISSING', `${change.object} is named by a change segment but missing from ${options.target.description}.`);
  const bytes = (await stat(local)).size;
  const digest = await sha256File(local);
  if (bytes !== change.bytes || digest !== change.sha256) throw new DomainError('BACKUP_OBJECT_CORRUPT', `${change.object} has ${bytes} bytes and SHA-256 ${digest}; its segment says ${change.bytes} and ${change.sha256}.`);
}
