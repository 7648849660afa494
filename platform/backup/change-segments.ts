import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { DomainError } from '../../kernel/errors/index.ts';
import { LedgerVerificationError, openEnvelope, signEnvelope, type DsseEnvelope, type KeySource, type LedgerKey } from '../../kernel/ledger/index.ts';
import type { Change, LoggedChange } from './change-log.ts';

const compress = promisify(gzip);
const decompress = promisify(gunzip);

export const SEGMENT_PAYLOAD_TYPE = 'application/vnd.companyos.change-segment+json+gzip';
/**
 * v2 segments may hold Parquet loads; a segment without one is still written as v1, which releases before them read.
 * A release that knew only v1 refuses a v2 segment rather than skipping the loads it does not know.
 */
export const SEGMENT_FORMATS = ['companyos.changes/v1', 'companyos.changes/v2'] as const;
export type SegmentFormat = (typeof SEGMENT_FORMATS)[number];

/** The kinds of change each format may hold. */
const CHANGE_KINDS: Record<SegmentFormat, readonly string[]> = {
  'companyos.changes/v1': ['insert', 'csv', 'delete', 'state'],
  'companyos.changes/v2': ['insert', 'csv', 'parquet', 'delete', 'state'],
};

/** The steps of a state transaction every format may hold. */
const STATE_STEP_KINDS: readonly string[] = ['insert', 'insertNew', 'compareAndSet', 'delete'];

/** The oldest format that holds these changes. */
export function segmentFormatFor(changes: readonly ShippedLogged[]): SegmentFormat {
  return changes.some(({ change }) => change.op === 'parquet') ? 'companyos.changes/v2' : 'companyos.changes/v1';
}

/** A file shipped as an object of its own beside the segment, checked by its digest. */
export interface ShippedBlob {
  object: string;
  sha256: string;
  bytes: number;
}

/** A file load as shipped: a CSV load's file, a Parquet load's files, each a blob. */
export type ShippedChange =
  | Exclude<Change, { op: 'csv' | 'parquet' }>
  | ({ op: 'csv'; table: string; columns: string[] } & ShippedBlob)
  | (Omit<Extract<Change, { op: 'parquet' }>, 'files'> & { objects: ShippedBlob[] });

export interface ShippedLogged {
  seq: number;
  at: number;
  change: ShippedChange;
}

/**
 * One shipment of changes after a base snapshot: segments are numbered from 1 without gaps,
 * each names its predecessor's SHA-256 (a chain a restore walks), and each is a DSSE envelope
 * signed with the ledger's key around the gzipped JSON.
 */
export interface ChangeSegment {
  format: SegmentFormat;
  backupId: string;
  segment: number;
  /** SHA-256 of the previous segment's object; null for the first. */
  previous: string | null;
  /** Acknowledgement times of the first and last change (ISO 8601). */
  from: string;
  to: string;
  changes: ShippedLogged[];
}

/** The folder of a backup's shipped changes, and a segment's object name in it. */
export const changesFolder = (backupId: string) => `backups/${backupId}/changes`;
export const segmentObject = (backupId: string, segment: number) => `${changesFolder(backupId)}/${String(segment).padStart(10, '0')}.dsse.json`;
export const blobObject = (backupId: string, seq: number, file?: { index: number; extension: 'parquet' }) =>
  `${changesFolder(backupId)}/blob-${String(seq).padStart(12, '0')}${file ? `-${file.index}.${file.extension}` : '.csv'}`;

export async function sealSegment(segment: ChangeSegment, key: LedgerKey): Promise<Buffer> {
  const payload = await compress(Buffer.from(JSON.stringify(segment)));
  return Buffer.from(JSON.stringify(signEnvelope(SEGMENT_PAYLOAD_TYPE, payload, key)));
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The segment inside an object's bytes, once its signature verifies; anything else is refused naming the object. */
export async function openSegment(bytes: Buffer, keys: KeySource, name: string): Promise<ChangeSegment> {
  let envelope: DsseEnvelope;
  try {
    envelope = JSON.parse(bytes.toString('utf8')) as DsseEnvelope;
  } catch {
    throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} is not readable JSON: it was changed or cut short after it was shipped.`);
  }
  let payload: Buffer;
  let payloadType: string;
  try {
    ({ payload, payloadType } = openEnvelope(envelope, keys));
  } catch (error) {
    if (error instanceof LedgerVerificationError) throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} does not verify: ${error.message}`);
    throw error;
  }
  if (payloadType !== SEGMENT_PAYLOAD_TYPE) throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} is a ${payloadType}, not a change segment.`);
  const segment = JSON.parse((await decompress(payload)).toString('utf8')) as ChangeSegment;
  if (!(SEGMENT_FORMATS as readonly string[]).includes(segment.format)) {
    throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} has format ${String(segment.format)}; this platform reads ${SEGMENT_FORMATS.join(' and ')}: restore with the release that shipped it.`);
  }
  const unknown = segment.changes.find(({ change }) => !CHANGE_KINDS[segment.format].includes(change.op));
  if (unknown) throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} holds a change this platform cannot replay (${JSON.stringify(unknown.change.op)} in ${segment.format}).`);
  const steps = segment.changes.flatMap(({ change }) => (change.op === 'state' ? change.steps : []));
  const unknownStep = steps.find((step) => !STATE_STEP_KINDS.includes(step.op));
  if (unknownStep) throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} holds a state step this platform cannot replay (${JSON.stringify(unknownStep.op)}).`);
  return segment;
}

/** The acknowledgement time range of some logged changes. */
export function spanOf(changes: readonly LoggedChange[]): { from: string; to: string } {
  return { from: new Date(changes[0]!.at).toISOString(), to: new Date(changes.at(-1)!.at).toISOString() };
}
