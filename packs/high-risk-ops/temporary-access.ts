import { DomainError } from '../../kernel/errors/index.ts';
import type { DecisionLog } from '../../platform/governance/index.ts';
import type { AccessGrants, Role } from '../../platform/identity/index.ts';
import type { StepContext, WorkflowType } from '../../platform/workflows/index.ts';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
/** Roles that may be granted for a time: never admin, approver (who could approve their own next grant) or a machine's. */
const GRANTABLE: readonly Role[] = ['reader', 'auditor', 'writer', 'operator'];
const SUBJECT = /^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$/;
const MAX_MINUTES = 24 * 60;
/** Decision ids of accesses the revocation lists (all are counted). */
const ACCESSES_LISTED = 100;

export interface TemporaryAccessParams {
  /** The subject in the requester's tenant who gets the role (may be the requester). */
  grantee: string;
  role: Role;
  duration_minutes: number;
}

interface Granted {
  grant_id: string;
  grantee: string;
  role: Role;
  granted_at: string;
  expires_at: string;
}

/**
 * Temporary production data access: a role for a number of minutes, counted from the approval,
 * not the request. Execute records the grant (the API adds the role to the grantee's own from then
 * until `expires_at`, checked on every request); the run stays `active` until then, and revoke —
 * at expiry, or when the run is cancelled — ends it and lists the accesses made under it (every
 * decision taken with the grant's role carries the grant's id in the decision log).
 */
export function temporaryAccess({ grants, decisions }: { grants: AccessGrants; decisions: DecisionLog }): WorkflowType<TemporaryAccessParams> {
  const grantee = (context: StepContext<TemporaryAccessParams>) => context.params.grantee;
  return {
    name: 'temporary-access',
    pack: 'high-risk-ops',
    description: 'Grant a role for a time (at most 24 h), counted from the approval; revoked at expiry, every access under it logged against the grant.',
    parseParams: parseTemporaryAccess,
    beneficiaries: (params, tenant) => [`${tenant}/${params.grantee}`],
    approval: { combine: 'all', groups: [{ role: 'approver', count: 1 }] },
    separateDuties: true,
    rationale: { categories: ['incident', 'support', 'investigation', 'compliance'], minLength: 20 },
    approvalExpiryMs: 4 * HOUR,
    approvalSlaMs: 30 * MINUTE,
    steps: {
      execute: {
        onInterrupt: 'retry',
        async run(context): Promise<Granted> {
          const approvedAt = context.approvedAt ?? context.now();
          const expiresAt = new Date(approvedAt.getTime() + context.params.duration_minutes * MINUTE);
          if (expiresAt <= context.now()) {
            throw new Error(`the access window (${context.params.duration_minutes} min from the approval at ${approvedAt.toISOString()}) has already passed`);
          }
          await grants.grant({ tenant: context.tenant, grantId: context.runId, grantee: grantee(context), role: context.params.role, grantedAt: approvedAt, expiresAt });
          context.log(`granted ${context.params.role} to ${context.tenant}/${grantee(context)} from ${approvedAt.toISOString()} (the approval) until ${expiresAt.toISOString()}`);
          return { grant_id: context.runId, grantee: `${context.tenant}/${grantee(context)}`, role: context.params.role, granted_at: approvedAt.toISOString(), expires_at: expiresAt.toISOString() };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          const grant = await grants.find(context.tenant, context.runId);
          if (!grant || grant.revokedAt) throw new Error(`grant ${context.runId} is not in force`);
          context.log(`grant ${grant.grantId} is recorded, ends ${grant.expiresAt.toISOString()}`);
          return { in_force: true };
        },
      },
      revoke: {
        onInterrupt: 'retry',
        async run(context) {
          const granted = context.outputs.execute as Granted;
          const reason = context.now() >= new Date(granted.expires_at) ? 'expired' : 'cancelled';
          const grant = await grants.revoke(context.tenant, context.runId, reason);
          const accesses = (await decisions.query(context.tenant, { principal: granted.grantee, since: new Date(granted.granted_at), limit: 10_000 }))
            .filter((decision) => ((decision.input.context as { grants?: string[] }).grants ?? []).includes(context.runId));
          context.log(`revoked grant ${context.runId} (${reason}) at ${grant?.revokedAt?.toISOString()}; ${accesses.length} decision(s) were taken under it`);
          for (const access of accesses.slice(0, ACCESSES_LISTED)) {
            context.log(`access ${access.decision_id} ${access.timestamp} ${access.input.action} ${access.input.resource} → ${access.result.decision}`);
          }
          return {
            grant_id: context.runId, reason, revoked_at: grant?.revokedAt?.toISOString(), accesses: accesses.length,
            access_decisions: accesses.slice(0, ACCESSES_LISTED).map((access) => access.decision_id),
          };
        },
      },
      rollback: {
        onInterrupt: 'retry',
        async run(context) {
          await grants.revoke(context.tenant, context.runId, 'rolled-back');
          context.log(`grant ${context.runId} revoked: the run did not complete`);
          return { revoked: true };
        },
      },
    },
  };
}

function parseTemporaryAccess(input: unknown): TemporaryAccessParams {
  const invalid = (why: string) => new DomainError('WORKFLOW_PARAMS_INVALID', `temporary-access: ${why}`);
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw invalid('params is an object: {"grantee": "<subject>", "role": "reader", "duration_minutes": 60}.');
  const { grantee, role, duration_minutes: minutes, ...rest } = input as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw invalid(`unknown parameter(s) ${Object.keys(rest).slice(0, 5).join(', ')}.`);
  if (typeof grantee !== 'string' || !SUBJECT.test(grantee)) throw invalid('grantee is the subject (in your tenant) who gets the role.');
  if (typeof role !== 'string' || !GRANTABLE.includes(role as Role)) throw invalid(`role is one of ${GRANTABLE.join(', ')}.`);
  if (!Number.isInteger(minutes) || (minutes as number) < 1 || (minutes as number) > MAX_MINUTES) throw invalid(`duration_minutes is a whole number from 1 to ${MAX_MINUTES}.`);
  return { grantee, role: role as Role, duration_minutes: minutes as number };
}
