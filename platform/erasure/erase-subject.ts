import { join } from 'node:path';
import type { StateStore } from '../../kernel/state/index.ts';
import type { ReclaimReport, Warehouse } from '../../kernel/warehouse/index.ts';
import { appendRecordReceipt, redactDisclosures, type EvidenceStore, type LedgerStore } from '../governance/index.ts';
import { purgeReceiptId } from '../retention/index.ts';
import { eraseExports } from './erase-exports.ts';
import { eraseFreeText, FREE_TEXT_COLUMNS } from './erase-free-text.ts';
import { ERASURE_MANIFEST_FORMAT, signErasureManifest, type ErasureManifest } from './erasure-manifest.ts';
import type { ErasableArtifact, ErasureScope } from './erasure-scope.ts';

export interface ErasureServices {
  warehouse: Warehouse;
  state: StateStore;
  ledger: LedgerStore;
  evidence: EvidenceStore;
  /** A tenant's export files' folder. */
  exportsDir(tenant: string): string;
  /** Every model built again from the raw data (a full refresh); a line saying what was built. */
  rebuildModels(): Promise<string>;
  /**
   * A new backup of the database as it is now, then every older one removed (their copies hold
   * the subject); undefined when nothing is backed up here.
   */
  replaceBackups?(): Promise<{ newBase: string | null; dropped: string[] }>;
}

export interface ErasureRequest {
  tenant: string;
  scope: ErasureScope;
  purgeId: string;
  /** The workflow run that asked (the manifest names it, never the subject). */
  runId: string;
  actor: string;
  at: Date;
  log(line: string): void;
}

/** The subject's rows and items, counted where the scope looks. */
export async function countSubject(services: ErasureServices, tenant: string, scope: ErasureScope): Promise<Pick<ErasureManifest['counts'], 'events' | 'quarantine'>> {
  const { warehouse } = services;
  const has = (artifact: string) => scope.artifacts.includes(artifact as never);
  const count = async (table: string, condition: string) => {
    const [row] = await warehouse.query<{ n: number | bigint }>(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ? AND ${condition}`, [tenant, scope.subject]);
    return Number(row?.n ?? 0);
  };
  return {
    events: has('raw-events') ? await count('events', 'subject = ?') : 0,
    quarantine: has('quarantine') ? await count('events_quarantine', warehouse.dialect.containsText('payload')) : 0,
  };
}

/** What the first, logical part of an erasure removed: kept (in the run's stored parameters) so a retry after a crash finishes it without the subject. */
export interface ErasedRecords {
  counts: ErasureManifest['counts'];
  redactions: ErasureManifest['redactions'];
  exports: ErasureManifest['exports'];
}

/**
 * The logical part of erasing a subject where the scope says: its events and quarantined payloads
 * deleted; evidence content and receipts' hidden fields that hold it removed (redaction markers
 * kept); export files holding it removed. Its bytes may still be in storage and backups until
 * `finishErasure`.
 */
export async function eraseRecords(services: ErasureServices, request: ErasureRequest): Promise<ErasedRecords> {
  const { warehouse, state, ledger, evidence } = services;
  const { tenant, scope, purgeId, log } = request;
  const has = (artifact: ErasureScope['artifacts'][number]) => scope.artifacts.includes(artifact);
  const counts = { ...(await countSubject(services, tenant, scope)), evidence: 0, rationales: 0, disclosures: 0, exports: 0 };
  // Deleted by their keys, never by the subject: a ClickHouse mutation keeps its command's text on disk, and the change log ships a delete's parameters.
  if (has('raw-events')) {
    const keys = await warehouse.query<{ source: string; id: string }>('SELECT DISTINCT source, id FROM events WHERE tenant_id = ? AND subject = ?', [tenant, scope.subject]);
    await deleteByKeys(warehouse, 'events', tenant, ['source', 'id'], keys.map((k) => [k.source, k.id]));
  }
  if (has('quarantine')) {
    const keys = await warehouse.query<{ quarantine_id: string }>(
      `SELECT DISTINCT quarantine_id FROM events_quarantine WHERE tenant_id = ? AND ${warehouse.dialect.containsText('payload')}`, [tenant, scope.subject],
    );
    await deleteByKeys(warehouse, 'events_quarantine', tenant, ['quarantine_id'], keys.map((k) => [k.quarantine_id]));
  }
  log(`deleted ${counts.events} events and ${counts.quarantine} quarantined payloads`);
  if (has('evidence')) counts.evidence = await evidence.eraseContaining(tenant, scope.subject, purgeId);
  counts.rationales = await eraseFreeText(state, tenant, scope.subject, purgeId);
  const redactions = has('receipt-disclosures') ? await redactDisclosures(state, ledger, tenant, { holding: scope.subject }, purgeId, request.at) : [];
  counts.disclosures = redactions.length;
  const exports = has('exports') ? await eraseExports(services.exportsDir(tenant), scope.subject) : [];
  counts.exports = exports.length;
  log(`erased ${counts.evidence} evidence items, ${counts.rationales} rationales, ${counts.disclosures} receipt disclosures (markers kept) and ${counts.exports} export files`);
  return { counts, redactions: redactions.map(({ receiptId, logIndex, digest, name }) => ({ receiptId, logIndex, digest, name, purgeId })), exports };
}

/**
 * The rest, which needs no subject: the models rebuilt without it, a new backup taken and the
 * older ones dropped, the deleted bytes reclaimed from the warehouse's and the state's files; then
 * the signed manifest stored and receipted in the tenant's log. Safe to run again.
 */
export async function finishErasure(services: ErasureServices, request: Omit<ErasureRequest, 'scope'> & { artifacts: ErasableArtifact[] }, erased: ErasedRecords): Promise<{ manifest: ErasureManifest; receiptIndex: number }> {
  const { warehouse, state, ledger } = services;
  const { tenant, purgeId, log, artifacts } = request;
  const has = (artifact: ErasableArtifact) => artifacts.includes(artifact);
  const models = has('models') ? await services.rebuildModels() : null;
  if (models) log(models);
  const backups = has('backups') && services.replaceBackups ? await services.replaceBackups() : null;
  if (backups) log(`new backup ${backups.newBase ?? '(none)'}; ${backups.dropped.length} older backups dropped`);
  const reclaimed: ReclaimReport[] = [];
  const warehouseTables = [...(has('raw-events') ? ['events'] : []), ...(has('quarantine') ? ['events_quarantine'] : [])];
  if (warehouseTables.length > 0) reclaimed.push(await warehouse.reclaim(warehouseTables));
  reclaimed.push(await state.reclaim(['evidence', 'ledger_entries', ...FREE_TEXT_COLUMNS.map((c) => c.table)]));
  for (const r of reclaimed) {
    const frozen = !r.frozenCopies ? '' : 'removed' in r.frozenCopies ? `, ${r.frozenCopies.removed} frozen copies removed` : `; frozen copies NOT checked: ${r.frozenCopies.unchecked}`;
    log(`reclaimed ${r.tables.join(', ')} on ${r.engine}: ${r.rowsRewritten} rows rewritten, ${r.blocksScrubbed} free blocks overwritten in ${r.seconds.toFixed(1)} s${frozen}`);
  }

  const manifest: ErasureManifest = {
    format: ERASURE_MANIFEST_FORMAT, purgeId, reason: 'erasure', scope: { tenant, artifacts, runId: request.runId }, ranAt: request.at.toISOString(),
    ...erased, models, backups,
    reclaimed: reclaimed.map(({ engine, tables, rowsRewritten, blocksScrubbed, frozenCopies }) => ({ engine, tables, rowsRewritten, blocksScrubbed, ...(frozenCopies ? { frozenCopies } : {}) })),
  };
  const envelope = JSON.stringify(signErasureManifest(manifest, ledger.keyring.active));
  await state.transaction((tx) => tx.insertNew('purge_manifests', [{ tenant_id: tenant, purge_id: purgeId, reason: 'erasure', ran_at: request.at, envelope }]));
  const receiptIndex = await appendRecordReceipt(ledger, {
    tenant, receiptId: purgeReceiptId(purgeId), actor: request.actor, action: 'erasure.purged', targetName: `purge-manifest/${purgeId}`,
    decisionId: `workflow:${request.runId}`, bundleRevision: 'workflow-engine', approvers: [], at: request.at, record: envelope,
  });
  log(`manifest ${purgeId} signed, stored and receipted at index ${receiptIndex} of the tenant's log`);
  return { manifest, receiptIndex };
}

/** Rows a few hundred keys at a time (a statement's size stays small on either engine). */
async function deleteByKeys(warehouse: Warehouse, table: string, tenant: string, columns: readonly string[], keys: readonly (readonly string[])[]): Promise<void> {
  const tuple = columns.length === 1 ? '?' : `(${columns.map(() => '?').join(', ')})`;
  const target = columns.length === 1 ? columns[0]! : `(${columns.join(', ')})`;
  for (let start = 0; start < keys.length; start += DELETE_CHUNK) {
    const chunk = keys.slice(start, start + DELETE_CHUNK);
    await warehouse.deleteWhere(table, `tenant_id = ? AND ${target} IN (${chunk.map(() => tuple).join(', ')})`, [tenant, ...chunk.flat()]);
  }
}

const DELETE_CHUNK = 500;

/** A tenant's export folder under the exports root (as `tenant-export` writes it). */
export const tenantExportsDir = (exportsDir: string) => (tenant: string) => join(exportsDir, encodeURIComponent(tenant));
