import { join } from 'node:path';
import type { Principal } from '../../../platform/identity/index.ts';
import { ApprovalStore } from '../../../platform/governance/index.ts';
import { PlatformMetrics } from '../../../platform/metrics/index.ts';
import { DecisionLog } from '../../../platform/governance/index.ts';
import { PolicyGate } from '../../../platform/governance/index.ts';
import { EvidenceStore } from '../../../platform/governance/index.ts';
import { LedgerStore } from '../../../platform/governance/index.ts';
import { IngestPipeline } from '../../../platform/ingest/index.ts';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';
import { Keyring, LEDGER_KEY_NAME } from '../../../kernel/ledger/index.ts';
import { loadPolicyBundle, PolicyEngine } from '../../../kernel/policies/index.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import type { PlatformConfig } from './config.ts';

/**
 * The policy gate for CLI commands that work on the warehouse directly (no
 * platform running): the same bundle, decision log, ledger and keys as the
 * server, so a privileged command is decided and receipted exactly as its API call would be.
 */
export async function openLocalGate(warehouse: Warehouse, config: PlatformConfig): Promise<{ gate: PolicyGate; principal: Principal; close(): Promise<void> }> {
  const decisions = new DecisionLog(warehouse, { error: (details: unknown, message?: string) => console.error(message ?? '', details) });
  const gate = new PolicyGate({
    engine: new PolicyEngine(loadPolicyBundle()),
    decisions,
    ledger: new LedgerStore(warehouse, await Keyring.open(join(config.dataDir, 'keys'), LEDGER_KEY_NAME)),
    approvals: new ApprovalStore(warehouse),
    evidence: new EvidenceStore(warehouse),
    pipeline: new IngestPipeline(warehouse, { dedupeWindowDays: config.dedupeWindowDays }),
    metrics: new PlatformMetrics(),
    env: config.env,
  });
  // Whoever holds the data dir holds the JWT secret too: the CLI acts as summit-internal's operator.
  const principal: Principal = { tenant: TENANT_ZERO, roles: ['operator'], subject: 'companyos-cli', env: config.env, region: config.region };
  return { gate, principal, close: () => decisions.close() };
}
