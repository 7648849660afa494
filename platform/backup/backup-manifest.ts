import { DomainError } from '../../kernel/errors/index.ts';
import { assertObjectName } from './backup-target.ts';
import { LedgerVerificationError, openEnvelope, signEnvelope, type DsseEnvelope, type KeySource, type LedgerKey } from '../../kernel/ledger/index.ts';

export const MANIFEST_PAYLOAD_TYPE = 'application/vnd.companyos.backup-manifest+json';
export const MANIFEST_FORMAT = 'companyos.backup/v1';
/** The manifest's object name within its backup's folder. */
export const MANIFEST_OBJECT = 'manifest.dsse.json';

export interface BackupObject {
  /** The object's name under the backup's folder (`backups/<id>/`). */
  name: string;
  sha256: string;
  bytes: number;
  /** The table whose rows the object holds; absent for the schema. */
  table?: string;
}

/** A tenant's log as the backup holds it: the verifier compares the restored log's root with this. */
export interface LedgerHead {
  size: number;
  /** RFC 6962 root hash, hex. */
  rootHash: string;
}

/** A ClickHouse table as backed up: its `CREATE` statement and, for a MergeTree table, the parts `FREEZE` held. */
export interface ClickHouseTableBackup {
  name: string;
  /** The table engine (`MergeTree`, `ReplacingMergeTree`, `View`, …). */
  engine: string;
  /** The object holding its `CREATE` statement, without a database name. */
  ddl: string;
  /** Rows in its parts (their `count.txt`): what the attached table must hold. */
  rows: number;
  /** Each part's name; its files are the objects under `clickhouse/<table>/<part>/`. */
  parts: string[];
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  backupId: string;
  /** `duckdb`: the embedded database (warehouse and state). `clickhouse`: the operational state (`state.duckdb`) in `objects`, the warehouse in `clickhouse`. */
  engine: 'duckdb' | 'clickhouse';
  clickhouse?: { database: string; tables: ClickHouseTableBackup[] };
  /** When the snapshot was read (ISO 8601): what a restore holds is the database as of this moment. */
  snapshotAt: string;
  completedAt: string;
  objects: BackupObject[];
  rowCounts: Record<string, number>;
  ledger: Record<string, LedgerHead>;
}

export function signManifest(manifest: BackupManifest, key: LedgerKey): DsseEnvelope {
  return signEnvelope(MANIFEST_PAYLOAD_TYPE, JSON.stringify(manifest), key);
}

/** The manifest object's bytes as stored: its signed envelope. Ed25519 signs deterministically, so the same manifest and key give the same bytes. */
export function manifestObjectBytes(manifest: BackupManifest, key: LedgerKey): Buffer {
  return Buffer.from(JSON.stringify(signManifest(manifest, key)));
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PART_NAME = /^[A-Za-z0-9_-]+$/;

/** The manifest inside a signed envelope, once its signature verifies with one of `keys`; refuses anything else, saying why. */
export function openManifest(envelope: unknown, keys: KeySource, where: string): BackupManifest {
  let payload: Buffer;
  let payloadType: string;
  try {
    ({ payload, payloadType } = openEnvelope(envelope, keys));
  } catch (error) {
    if (error instanceof LedgerVerificationError) throw new DomainError('BACKUP_MANIFEST_INVALID', `${where}: ${error.message}`);
    throw error;
  }
  if (payloadType !== MANIFEST_PAYLOAD_TYPE) throw new DomainError('BACKUP_MANIFEST_INVALID', `${where} is a ${payloadType}, not a backup manifest.`);
  const manifest = JSON.parse(payload.toString('utf8')) as BackupManifest;
  if (manifest.format !== MANIFEST_FORMAT) throw new DomainError('BACKUP_MANIFEST_INVALID', `${where} has format ${String(manifest.format)}; this platform reads ${MANIFEST_FORMAT}.`);
  // Signed, so written by a holder of the key; still, nothing in it may name a path outside the backup or a table by odd text.
  for (const object of Array.isArray(manifest.objects) ? manifest.objects : []) {
    try {
      assertObjectName(`${manifest.backupId}/${object.name}`);
    } catch {
      throw new DomainError('BACKUP_MANIFEST_INVALID', `${where} lists an object named ${JSON.stringify(object.name)}, which is no plain object name.`);
    }
    if (object.table !== undefined && !TABLE_NAME.test(object.table)) {
      throw new DomainError('BACKUP_MANIFEST_INVALID', `${where} lists a table named ${JSON.stringify(object.table)}.`);
    }
  }
  for (const table of manifest.clickhouse?.tables ?? []) {
    if (!TABLE_NAME.test(table.name) || !table.parts.every((part) => PART_NAME.test(part))) {
      throw new DomainError('BACKUP_MANIFEST_INVALID', `${where} lists a ClickHouse table ${JSON.stringify(table.name)} with parts ${JSON.stringify(table.parts.slice(0, 3))}.`);
    }
  }
  if (!Array.isArray(manifest.objects) || !manifest.objects.some((o) => o.name === 'schema.sql')) throw new DomainError('BACKUP_MANIFEST_INVALID', `${where} lists no schema.sql.`);
  return manifest;
}
