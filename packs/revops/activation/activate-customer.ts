import { DomainError } from '../../../kernel/errors/index.ts';
import type { StateStore } from '../../../kernel/state/index.ts';
import type { PlatformEvent } from '../../../platform/ingest/index.ts';
import { sql, type TenantScope } from '../../../platform/tenancy/index.ts';
import type { WorkflowType } from '../../../platform/workflows/index.ts';

export const ACTIVATION_WORKFLOW = 'revops-activation';
/** From signature to an active customer. */
export const ONBOARDING_SLA_DAYS = 7;
const DAY = 24 * 60 * 60 * 1000;
const TENANT = /^[a-z0-9][a-z0-9-]{1,62}$/;

export interface ActivationParams {
  quote_id: string;
  account: string;
  /** The customer's tenant on the platform. */
  tenant: string;
  plan: string;
  packs: string[];
  signed_at: string;
}

/** What a won quote's activation needs: refused before anything is recorded when it is not usable. */
export function parseActivation(input: unknown): Omit<ActivationParams, 'quote_id' | 'account' | 'signed_at'> {
  const value = (input ?? {}) as Record<string, unknown>;
  const packs = value.packs;
  if (typeof value.tenant !== 'string' || !TENANT.test(value.tenant)) throw new DomainError('QUOTE_INVALID', 'activation.tenant must be a tenant id (lower case letters, digits, dashes).');
  if (typeof value.plan !== 'string' || value.plan.trim() === '') throw new DomainError('QUOTE_INVALID', 'activation.plan is required.');
  if (!Array.isArray(packs) || packs.some((p) => typeof p !== 'string' || p === '') || new Set(packs).size !== packs.length) {
    throw new DomainError('QUOTE_INVALID', 'activation.packs must list each pack once.');
  }
  return { tenant: value.tenant, plan: value.plan.trim(), packs: packs as string[] };
}

interface ActivationDeps {
  state: StateStore;
  stateScope(tenant: string): TenantScope;
  emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>;
}

/**
 * A signed contract's activation: requested when a quote is won, approved by onboarding (an
 * approver other than the rep) within a day — the engine reports the breach of that SLA — and
 * executed by someone other than both, which records the customer active; done later than
 * ONBOARDING_SLA_DAYS after the signature it is also reported as a violation.
 */
export function activateCustomer(deps: ActivationDeps): WorkflowType<ActivationParams> {
  return {
    name: ACTIVATION_WORKFLOW,
    pack: 'revops',
    description: `Activate a customer from a signed contract (tenant, plan, packs): approved by onboarding within a day, active within ${ONBOARDING_SLA_DAYS} days of the signature. Requested by winning a quote.`,
    parseParams(input) {
      const value = (input ?? {}) as Record<string, unknown>;
      if (typeof value.quote_id !== 'string' || typeof value.account !== 'string' || typeof value.signed_at !== 'string' || Number.isNaN(Date.parse(value.signed_at))) {
        throw new DomainError('WORKFLOW_PARAMS_INVALID', `${ACTIVATION_WORKFLOW}: runs are requested by winning a quote (POST /v1/revops/quotes/{id}/outcome).`);
      }
      return { quote_id: value.quote_id, account: value.account, signed_at: value.signed_at, ...parseActivation(value) };
    },
    approval: { combine: 'all', groups: [{ role: 'approver', count: 1 }] },
    separateDuties: true,
    rationale: { categories: ['new-customer', 'expansion', 'renewal'], minLength: 20 },
    approvalExpiryMs: 14 * DAY,
    approvalSlaMs: DAY,
    steps: {
      execute: {
        // Activating twice records the first activation.
        onInterrupt: 'retry',
        async run(context) {
          const { params } = context;
          const at = context.now();
          await deps.state.transaction((tx) => tx.insertNew('revops_activations', [{
            tenant_id: context.tenant, quote_id: params.quote_id, run_id: context.runId, customer_tenant: params.tenant, plan: params.plan,
            packs: JSON.stringify(params.packs), signed_at: new Date(params.signed_at), activated_at: at,
          }]));
          const scope = deps.stateScope(context.tenant);
          const [row] = await scope.query(sql`SELECT activated_at FROM ${scope.table('revops_activations')} WHERE quote_id = ${params.quote_id}`);
          const activatedAt = new Date(row!.activated_at as Date);
          const onboardingDays = Math.round(((activatedAt.getTime() - Date.parse(params.signed_at)) / DAY) * 100) / 100;
          const within = onboardingDays <= ONBOARDING_SLA_DAYS;
          const base = { specversion: '1.0' as const, source: '/companyos/revops/activations', time: activatedAt.toISOString(), subject: params.quote_id, tenantid: context.tenant };
          const data = { quote_id: params.quote_id, account: params.account, customer_tenant: params.tenant, plan: params.plan, packs: params.packs, run_id: context.runId, onboarding_days: onboardingDays, sla_days: ONBOARDING_SLA_DAYS, kept_sla: within ? 1 : 0 };
          await deps.emit(context.tenant, [
            { ...base, id: `${params.quote_id}:activated`, type: 'revops.activation.completed', data },
            ...(within ? [] : [{ ...base, id: `${params.quote_id}:onboarding_sla_violated`, type: 'revops.activation.sla_violated', data }]),
          ]);
          context.log(`${params.tenant} active on ${params.plan} (${params.packs.join(', ') || 'no packs'}), ${onboardingDays} days after signature`);
          return { customer_tenant: params.tenant, onboarding_days: onboardingDays, within_sla: within };
        },
      },
    },
  };
}
