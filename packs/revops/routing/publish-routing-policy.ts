import { DomainError } from '../../../kernel/errors/index.ts';
import type { WorkflowType } from '../../../platform/workflows/index.ts';
import type { LeadRouter } from './lead-router.ts';
import { parseRoutingPolicy } from './routing-policy.ts';

const HOUR = 60 * 60 * 1000;
/** Routed leads a draft is replayed over before approvers decide. */
export const DRAFT_REPLAY_LEADS = 500;

export interface PublishRoutingPolicyParams {
  policy: unknown;
}

/**
 * Publishing a tenant's lead-routing policy, governed: the preflight checks the draft and replays
 * it over the tenant's last routed leads (who would have gone to someone else: what approvers see);
 * one approver other than the requester; execute puts it in force for the next lead. The policy
 * published before stays stored, so routings made by it replay by it.
 */
export function publishRoutingPolicy({ router }: { router: LeadRouter }): WorkflowType<PublishRoutingPolicyParams> {
  return {
    name: 'revops-routing-policy',
    pack: 'revops',
    description: "Publish the tenant's lead-routing policy (rules, pools, weights, capacity, hours): replayed over recent leads first, approved, then in force for the next lead.",
    parseParams(input) {
      const { policy, ...rest } = (input ?? {}) as Record<string, unknown>;
      if (typeof input !== 'object' || input === null || Object.keys(rest).length > 0 || policy === undefined) {
        throw new DomainError('WORKFLOW_PARAMS_INVALID', 'revops-routing-policy: params is {"policy": {"pools": …, "rules": …}}.');
      }
      parseRoutingPolicy(policy);
      return { policy };
    },
    approval: { combine: 'all', groups: [{ role: 'approver', count: 1 }] },
    separateDuties: true,
    rationale: { categories: ['territory-change', 'capacity-change', 'new-pool', 'fix', 'other'], minLength: 20 },
    approvalExpiryMs: 72 * HOUR,
    approvalSlaMs: 8 * HOUR,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context) {
          const replay = await router.replay(context.tenant, { last: DRAFT_REPLAY_LEADS, draft: context.params.policy });
          const changed = replay.leads.filter((lead) => !lead.same);
          context.log(`draft ${replay.policy_revision} replayed over the last ${replay.leads.length} routed leads: ${changed.length} would be routed differently`);
          return { revision: replay.policy_revision, replayed: replay.leads.length, changed: changed.length, examples: changed.slice(0, 20) };
        },
      },
      execute: {
        // Publishing is one insert of a revision: doing it again changes nothing but the time.
        onInterrupt: 'retry',
        async run(context) {
          const policy = await router.publish(context.tenant, context.params.policy, `workflow:${context.runId}`, context.now());
          context.log(`routing policy ${policy.revision} published`);
          return { revision: policy.revision };
        },
      },
    },
  };
}
