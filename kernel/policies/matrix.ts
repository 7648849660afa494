import { writeFileSync } from 'node:fs';
import type { EntityJson } from './cedar-wasm.ts';
import { ACTIONS, DUAL_CONTROL_ACTIONS, NAMESPACE, type PolicyAction } from './engine.ts';
import type { PolicyCase } from './regression.ts';

/**
 * Who may do what in their own tenant: the access model written down independently of the
 * policies, from which `tests/role-action-tenant.json` is generated. Changing a policy without
 * changing this table (and regenerating) fails `companyos policy test`.
 */
export const ROLE_PERMISSIONS: Record<PolicyAction, { roles: string[]; permit: string }> = {
  read: { roles: ['Admin', 'Operator', 'Approver', 'Auditor', 'Writer', 'Reader', 'Connector'], permit: 'members-read' },
  create: { roles: ['Admin', 'Operator', 'Writer'], permit: 'writers-create-update' },
  update: { roles: ['Admin', 'Operator', 'Writer'], permit: 'writers-create-update' },
  grant: { roles: ['Admin', 'Operator'], permit: 'operators-grant' },
  approve: { roles: ['Admin', 'Approver'], permit: 'approvers-approve' },
  delete: { roles: ['Admin', 'Operator'], permit: 'operators-destroy' },
  purge: { roles: ['Admin', 'Operator'], permit: 'operators-destroy' },
  export: { roles: ['Admin', 'Operator', 'Auditor'], permit: 'export-data' },
  change_policy: { roles: ['Admin'], permit: 'admins-change-policy' },
  simulate_policy: { roles: ['Admin', 'Operator', 'Auditor'], permit: 'audit-trail' },
  audit: { roles: ['Admin', 'Operator', 'Auditor'], permit: 'audit-trail' },
  attach_evidence: { roles: ['Admin', 'Operator', 'Auditor', 'Approver'], permit: 'evidence-attach' },
  run_transforms: { roles: ['Admin', 'Operator'], permit: 'operators-run-platform' },
  import_bills: { roles: ['Admin', 'Operator'], permit: 'operators-run-platform' },
  generate_invoices: { roles: ['Admin', 'Operator'], permit: 'operators-run-platform' },
  read_costs: { roles: ['Admin', 'Operator', 'Auditor', 'Reader'], permit: 'finance-read-costs' },
  read_invoices: { roles: ['Admin', 'Operator', 'Auditor', 'Reader'], permit: 'finance-read-invoices' },
  write_events: { roles: ['Admin', 'Operator', 'Writer', 'Connector'], permit: 'writers-write-events' },
  request_workflow: { roles: ['Admin', 'Operator'], permit: 'operators-run-workflows' },
  execute_workflow: { roles: ['Admin', 'Operator'], permit: 'operators-run-workflows' },
};

export const MATRIX_ROLES = ['Admin', 'Operator', 'Approver', 'Auditor', 'Partner', 'Writer', 'Reader', 'Connector'];

/**
 * Whom the forbid guarding another tenant's resource lets through (the permits above still decide): by default
 * nobody (tenant-isolation); another tenant's cost, any principal of the platform operator; another tenant's
 * events, the platform operator's connectors and connectors of a tenant granted it (data/tenants.json).
 */
export const CROSS_TENANT: Partial<Record<PolicyAction, { forbid: string; platform: string[]; granted: string[] }>> = {
  read_costs: { forbid: 'other-tenants-cost-platform-only', platform: MATRIX_ROLES, granted: [] },
  write_events: { forbid: 'cross-tenant-ingest-needs-grant', platform: ['Connector'], granted: ['Connector'] },
};
/** own: acme on acme; other: acme on globex; platform: summit-internal on globex; granted: acme, granted ingest into globex, on globex. */
export const MATRIX_TARGETS = ['own', 'other', 'platform', 'granted'] as const;
export const MATRIX_FILE = new URL('./tests/role-action-tenant.json', import.meta.url).pathname;

const user = (id: string) => `${NAMESPACE}::User::"${id}"`;

/**
 * Every role × action × target (MATRIX_TARGETS) on internal data in dev, with what dual control
 * needs already present (an approval by someone else, a request by someone else), so each case
 * isolates the role's permission and tenant isolation.
 */
export function matrixCases(): PolicyCase[] {
  const cases: PolicyCase[] = [];
  for (const role of MATRIX_ROLES) {
    for (const action of ACTIONS) {
      for (const target of MATRIX_TARGETS) {
        const principalTenant = target === 'platform' ? 'summit-internal' : 'acme';
        const principal = `${principalTenant}/${role.toLowerCase()}-1`;
        const tenant = target === 'own' ? 'acme' : 'globex';
        const context: Record<string, unknown> = { env: 'dev' };
        if (DUAL_CONTROL_ACTIONS.includes(action)) context.approver = { __entity: { type: `${NAMESPACE}::User`, id: `${principalTenant}/approver-2` } };
        if (action === 'approve') context.requester = { __entity: { type: `${NAMESPACE}::User`, id: `${principalTenant}/operator-2` } };
        const cross = CROSS_TENANT[action];
        const crossAllowed = target === 'own' || (target === 'platform' && cross?.platform.includes(role)) || (target === 'granted' && cross?.granted.includes(role));
        const forbids = [
          ...(crossAllowed ? [] : [cross?.forbid ?? 'tenant-isolation']),
          ...(role === 'Partner' ? ['partner-public-data-only'] : []),
        ].sort();
        const { roles, permit } = ROLE_PERMISSIONS[action];
        const allowed = forbids.length === 0 && roles.includes(role);
        cases.push({
          name: `${role} ${action} ${target} tenant`,
          request: { principal: user(principal), action: `${NAMESPACE}::Action::"${action}"`, resource: `${NAMESPACE}::Resource::"${tenant}-asset"`, context },
          entities: [userEntity(principal, principalTenant, role, target), resourceEntity(`${tenant}-asset`, tenant)],
          decision: allowed ? 'allow' : 'deny',
          reason: allowed ? [permit] : forbids,
        });
      }
    }
  }
  return cases;
}

function userEntity(id: string, tenant: string, role: string, target: (typeof MATRIX_TARGETS)[number]): EntityJson {
  return {
    uid: { type: `${NAMESPACE}::User`, id },
    attrs: { tenant, env: 'dev', region: 'eu-west-1', platform: target === 'platform', ingest_grants: target === 'granted' ? ['globex'] : [] },
    parents: [{ type: `${NAMESPACE}::Role`, id: role }],
  };
}

function resourceEntity(id: string, tenant: string): EntityJson {
  return { uid: { type: `${NAMESPACE}::Resource`, id }, attrs: { tenant, kind: 'Asset', data_class: 'internal', region: 'eu-west-1' }, parents: [] };
}

if (process.argv.includes('--write')) {
  writeFileSync(MATRIX_FILE, `${JSON.stringify(matrixCases(), null, 1)}\n`);
  console.log(`Wrote ${matrixCases().length} cases to ${MATRIX_FILE}`);
}
