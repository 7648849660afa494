import { createHash } from 'node:crypto';
import { readReceipt } from '../../kernel/ledger/index.ts';
import type { StateStore } from '../../kernel/state/index.ts';
import {
  countSubject, eraseRecords, finishErasure, parseErasureScope,
  type ErasableArtifact, type ErasedRecords, type ErasureScope, type ErasureServices,
} from '../../platform/erasure/index.ts';
import type { LedgerStore } from '../../platform/governance/index.ts';
import { purgeReceiptId } from '../../platform/retention/index.ts';
import { sql, type TenantScope } from '../../platform/tenancy/index.ts';
import type { WorkflowType } from '../../platform/workflows/index.ts';

const HOUR = 60 * 60 * 1000;

/**
 * The run's parameters: the scope as requested, and — once the records are erased — the scope
 * without the subject and what went (so the run itself stops holding the subject, and a retry
 * after a crash finishes the erasure from there).
 */
export type ErasureParams = ErasureScope | { subject: null; artifacts: ErasableArtifact[]; erased: ErasedRecords };

export const erasurePurgeId = (runId: string) => `erasure-${runId}`;

/**
 * A subject's erasure (GDPR art. 17), dual-controlled: an approver and an admin of the tenant, neither
 * the requester. Preflight counts the subject's events and quarantined payloads (the transcript never
 * names the subject); execute erases the records, replaces the run's stored request by what went,
 * rebuilds the models, replaces the backups, reclaims storage, and signs, stores and receipts the
 * manifest; verify checks the receipt names the stored manifest.
 */
export function erasure(services: { erasure?: ErasureServices; state: StateStore; stateScope(tenant: string): TenantScope; ledger: LedgerStore }): WorkflowType<ErasureParams> {
  const erasing = () => services.erasure ?? failed('erasure is not wired on this platform');
  return {
    name: 'erasure',
    pack: 'high-risk-ops',
    description: 'Erase a subject from the tenant\'s events, quarantine, models, exports, evidence, receipts\' hidden fields and backups, down to the bytes on disk, with a signed purge manifest (dual-controlled).',
    parseParams: parseErasureScope,
    approval: { combine: 'all', groups: [{ role: 'approver', count: 1 }, { role: 'admin', count: 1 }] },
    separateDuties: true,
    rationale: { categories: ['data-subject-request', 'legal-obligation', 'consent-withdrawn'], minLength: 20 },
    approvalExpiryMs: 7 * 24 * HOUR,
    approvalSlaMs: 24 * HOUR,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context) {
          const scope = context.params as ErasureScope;
          const counts = await countSubject(erasing(), context.tenant, scope);
          context.log(`the subject has ${counts.events} events and ${counts.quarantine} quarantined payloads; evidence, receipts and exports are searched when it runs`);
          return { ...counts, artifacts: scope.artifacts };
        },
      },
      execute: {
        onInterrupt: 'retry',
        async run(context) {
          const purgeId = erasurePurgeId(context.runId);
          const request = { tenant: context.tenant, purgeId, runId: context.runId, actor: 'workflow-engine', at: context.now(), log: (line: string) => context.log(line) };
          let params = context.params;
          if (params.subject !== null) {
            const erased = await eraseRecords(erasing(), { ...request, scope: params });
            params = { subject: null, artifacts: params.artifacts, erased };
            // Before the backups are replaced: the old request, with the subject, goes with the old backups.
            await services.state.transaction(async (tx) => {
              await tx.compareAndSet('workflow_runs', { tenant_id: context.tenant, run_id: context.runId }, { workflow_type: 'erasure' }, { params: JSON.stringify(params) });
            });
          } else context.log('the records were erased by an earlier attempt; finishing');
          const { manifest, receiptIndex } = await finishErasure(erasing(), { ...request, artifacts: params.artifacts }, params.erased);
          return { purgeId, receiptId: purgeReceiptId(purgeId), receiptIndex, counts: manifest.counts, backups: manifest.backups, reclaimed: manifest.reclaimed };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          const purgeId = erasurePurgeId(context.runId);
          const entry = await services.ledger.entryByReceipt(context.tenant, purgeReceiptId(purgeId));
          const scope = services.stateScope(context.tenant);
          const [stored] = await scope.query<{ envelope: string }>(sql`SELECT envelope FROM ${scope.table('purge_manifests')} WHERE purge_id = ${purgeId}`);
          if (!entry || !stored) throw new Error(`the manifest of ${purgeId} or its receipt is missing`);
          const named = readReceipt(JSON.parse(entry.entry), services.ledger.keyring).subject[0]!.digest.sha256;
          if (named !== createHash('sha256').update(stored.envelope).digest('hex')) throw new Error(`the receipt of ${purgeId} names another manifest than the one stored`);
          context.log(`manifest ${purgeId} stored and receipted at index ${entry.logIndex}`);
          return { purgeId, logIndex: entry.logIndex };
        },
      },
    },
  };
}

function failed(message: string): never {
  throw new Error(message);
}
