import type { LedgerKey } from '../../kernel/ledger/index.ts';
import type { StateStore } from '../../kernel/state/index.ts';
import type { TableDefinition, Warehouse } from '../../kernel/warehouse/index.ts';
import { appendRecordReceipt, type LedgerStore } from '../governance/index.ts';
import { stateSource, TenantScope } from '../tenancy/index.ts';
import { purgeReceiptId, readPurgeManifests, type StoredPurgeManifest } from './read-purge-manifests.ts';
import { expireRows, type Tombstone } from './expire-rows.ts';
import { expireState } from './expire-state.ts';
import { ALL_TENANTS, PURGE_MANIFEST_FORMAT, signPurgeManifest, type PurgeManifest } from './purge-manifest.ts';
import { EXPIRING_CLASSES, type ExpiringClass, type RetentionWindows } from './retention-windows.ts';

const WEEK_MS = 7 * 86_400_000;

export interface RetentionOptions {
  warehouse: Warehouse;
  state: StateStore;
  tables: readonly TableDefinition[];
  windows: RetentionWindows;
  /** The platform operator's tenant: its manifest covers every tenant. */
  operatorTenant: string;
  signingKey(): LedgerKey;
  now(): Date;
  /** Each manifest stored is receipted in its tenant's ledger (`retention.purged`, naming the SHA-256 of the signed manifest). */
  ledger?: LedgerStore;
  /** The policy bundle revision in force, for the receipts. */
  bundleRevision?: () => string;
}

/** The actor of retention runs in receipts. */
export const RETENTION_ACTOR = 'retention';

/**
 * The weekly retention run: deletes what is past its window and records a signed purge
 * manifest for the platform and one for each tenant that lost rows, even in a week when
 * nothing went. One run at a time in a process; across processes the week's purge id is
 * unique, so a second process's manifest for the same week is not written twice.
 */
export class RetentionService {
  private running?: Promise<PurgeManifest | undefined>;

  constructor(private readonly options: RetentionOptions) {}

  /** Runs when the last run is a week old or there was none: the sweep calls this. */
  runIfDue(): Promise<PurgeManifest | undefined> {
    this.running ??= this.runWhenDue().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves once no run is under way (a failed one included): what a shutdown waits for before the stores close. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** A tenant's purge manifests (signed envelopes), newest first. */
  manifests(tenant: string, limit = 10): Promise<StoredPurgeManifest[]> {
    return readPurgeManifests(new TenantScope(stateSource(this.options.state), tenant), limit);
  }

  private async runWhenDue(): Promise<PurgeManifest | undefined> {
    const now = this.options.now();
    const [last] = await this.manifests(this.options.operatorTenant, 1);
    if (last && now.getTime() - last.ranAt.getTime() < WEEK_MS) return undefined;
    return this.run(now);
  }

  private async run(now: Date): Promise<PurgeManifest> {
    const { warehouse, state, tables, windows, operatorTenant } = this.options;
    const purgeId = `retention-${weekStart(now)}`;
    const tombstones = [...await expireRows(warehouse, tables, windows, now), ...(await expireState(state, this.options.ledger, tables, windows, now, purgeId)).tombstones];
    const platform = this.manifest(purgeId, ALL_TENANTS, now, platformTotals(tombstones));
    const byTenant = groupBy(tombstones, (t) => t.tenant);
    // Read back rather than taken from this run: a run retried after a crash lists what the first one redacted.
    const redactions = groupBy(await state.query<{ tenant_id: string; receipt_id: string; digest: string; name: string }>(
      'SELECT tenant_id, receipt_id, digest, name FROM ledger_redactions WHERE purge_id = ? ORDER BY tenant_id, receipt_id, digest',
      [purgeId],
    ), (r) => r.tenant_id);
    for (const tenant of redactions.keys()) if (!byTenant.has(tenant)) byTenant.set(tenant, []);
    const key = this.options.signingKey();
    const row = (tenant: string, manifest: PurgeManifest) => ({
      tenant_id: tenant, purge_id: purgeId, reason: 'retention', ran_at: now, envelope: JSON.stringify(signPurgeManifest(manifest, key)),
    });
    const tenantManifest = (tenant: string, own: Tombstone[]) => {
      const redacted = (redactions.get(tenant) ?? []).map((r) => ({ receiptId: r.receipt_id, digest: r.digest, name: r.name }));
      return { ...this.manifest(purgeId, tenant, now, own), ...(redacted.length > 0 ? { redactions: redacted } : {}) };
    };
    // The operator's one manifest covers every tenant, and lists its own redactions.
    const operatorRedactions = tenantManifest(operatorTenant, []).redactions;
    const rows = [
      row(operatorTenant, { ...platform, ...(operatorRedactions ? { redactions: operatorRedactions } : {}) }),
      ...[...byTenant].filter(([tenant]) => tenant !== operatorTenant).map(([tenant, own]) => row(tenant, tenantManifest(tenant, own))),
    ];
    const stored = await state.transaction((tx) => tx.insertNew('purge_manifests', rows));
    // Another process that ran this week's purge first stored and receipted its manifests.
    if (stored > 0) for (const manifest of rows) await this.receipt(manifest.tenant_id, purgeId, now, manifest.envelope);
    return platform;
  }

  /** The manifest's receipt in the tenant's own log: fixed id, so a retry after a crash adds nothing. */
  private async receipt(tenant: string, purgeId: string, at: Date, envelope: string): Promise<void> {
    if (!this.options.ledger) return;
    await appendRecordReceipt(this.options.ledger, {
      tenant, receiptId: purgeReceiptId(purgeId), actor: RETENTION_ACTOR, action: 'retention.purged', targetName: `purge-manifest/${purgeId}`,
      decisionId: `system:purge-${purgeId}`, bundleRevision: this.options.bundleRevision?.() ?? 'platform', approvers: [], at, record: envelope,
    });
  }

  private manifest(purgeId: string, tenant: string, now: Date, tombstones: Tombstone[]): PurgeManifest {
    const counts = Object.fromEntries(EXPIRING_CLASSES.map((c) => [c, 0])) as Record<ExpiringClass, number>;
    for (const t of tombstones) counts[t.dataClass] += t.rows;
    return {
      format: PURGE_MANIFEST_FORMAT,
      purgeId,
      reason: 'retention',
      scope: { tenant, dataClasses: [...EXPIRING_CLASSES] },
      ranAt: now.toISOString(),
      windowsDays: this.options.windows,
      counts,
      tombstones,
    };
  }
}

/** The platform's view: per table, summed over tenants (one tenant's rows are its own manifest's). */
function platformTotals(tombstones: readonly Tombstone[]): Tombstone[] {
  const byTable = groupBy(tombstones, (t) => t.table);
  return [...byTable.values()].map((group) => ({
    tenant: ALL_TENANTS,
    dataClass: group[0]!.dataClass,
    table: group[0]!.table,
    rows: group.reduce((n, t) => n + t.rows, 0),
    from: group.map((t) => t.from).sort()[0]!,
    to: group.map((t) => t.to).sort().at(-1)!,
    cutoff: group[0]!.cutoff,
  }));
}

/** The Monday (UTC) of `now`'s week, YYYY-MM-DD: a week's run has one purge id. */
function weekStart(now: Date): string {
  const day = (now.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - day)).toISOString().slice(0, 10);
}

/** `Map.groupBy` (Node 21+) for Node 20. */
function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
