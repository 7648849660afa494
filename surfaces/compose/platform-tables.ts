import { TABLES, type TableDefinition } from '../../kernel/warehouse/index.ts';
import { PACKS, type Pack } from '../../packs/index.ts';
import { LEDGER_REDACTIONS_TABLE, POLICY_ACTIVATIONS_TABLE } from '../../platform/governance/index.ts';
import { ACCESS_GRANT_TABLES, API_KEYS_TABLE, IDENTITY_MAPPINGS_TABLE, LOGIN_SESSION_TABLES, SCIM_TABLES } from '../../platform/identity/index.ts';
import { PURGE_MANIFESTS_TABLE } from '../../platform/retention/index.ts';
import { QUEUE_MARKS_TABLE, WORKFLOW_TABLES } from '../../platform/workflows/index.ts';
import { JOB_LEASES_TABLE } from '../../platform/jobs/index.ts';

/** The whole table registry: the kernel's and the platform's tables, and each pack's own (`Pack.tables`). */
export function platformTables(packs: readonly Pack[] = PACKS): readonly TableDefinition[] {
  return [...TABLES, POLICY_ACTIVATIONS_TABLE, ...ACCESS_GRANT_TABLES, ...LOGIN_SESSION_TABLES, ...SCIM_TABLES, API_KEYS_TABLE, IDENTITY_MAPPINGS_TABLE, ...WORKFLOW_TABLES, PURGE_MANIFESTS_TABLE, LEDGER_REDACTIONS_TABLE, JOB_LEASES_TABLE, QUEUE_MARKS_TABLE, ...packs.flatMap((pack) => pack.tables ?? [])];
}
