import { fileURLToPath } from 'node:url';
import type { Pack, PackContext, WorkflowServices } from '../pack.ts';
import { leadRoutes, quoteRoutes, seedDemoRevops } from './http/index.ts';
import {
  activateCustomer, ACTIVATION_TABLES, discountApproval, LEAD_TABLES, LeadIntake, LeadRouter, LeadTouches, leadsPastSla, publishRoutingPolicy, takeSubmittedLeads, QUOTE_TABLES, QuoteApprovals, QuoteBook, ROUTING_TABLES, sweepSlaBreaches,
} from './index.ts';

const routerOf = (context: Pick<PackContext, 'state' | 'stateScope' | 'ledger' | 'emit'>) =>
  new LeadRouter({ state: context.state, stateScope: context.stateScope, ledger: context.ledger, emit: context.emit });

const approvalsOf = (context: Pick<WorkflowServices, 'state' | 'stateScope' | 'ledger' | 'emit' | 'clock'>) =>
  new QuoteApprovals({ state: context.state, stateScope: context.stateScope, ledger: context.ledger, emit: context.emit, now: () => context.clock.now() });

/** The intake and router of a platform: one each, so the routes and the sweep share the intake's per-tenant lock. */
const services = new WeakMap<PackContext, { router: LeadRouter; leads: LeadIntake }>();
const servicesOf = (context: PackContext) => {
  let found = services.get(context);
  if (!found) {
    const router = routerOf(context);
    found = { router, leads: new LeadIntake({ state: context.state, stateScope: context.stateScope, emit: context.emit, router, now: () => context.clock.now() }) };
    services.set(context, found);
  }
  return found;
};

export const revopsPack: Pack = {
  name: 'revops',
  description:
    'Revenue operations: leads taken in (spam parked, duplicates linked, merges), routed by a governed, versioned policy with each routing receipted, ' +
    'first touches timed against SLAs, quotes whose discounts are approved by the discount matrix with receipts, and customers activated from signed contracts.',
  tables: [...LEAD_TABLES, ...ROUTING_TABLES, ...QUOTE_TABLES, ...ACTIVATION_TABLES],
  pages: { dir: fileURLToPath(new URL('./pages/', import.meta.url)), under: '' },
  routes: (app, context) => {
    const { router, leads } = servicesOf(context);
    const now = () => context.clock.now();
    leadRoutes(app, { leads, router, touches: new LeadTouches(context), now, region: context.region });
    const quotes = new QuoteBook({ ...context, approvals: approvalsOf(context), workflows: context.workflows, now });
    quoteRoutes(app, { quotes, region: context.region });
  },
  sweep: async (context) => {
    const now = context.clock.now();
    const { router, leads } = servicesOf(context);
    // Leads sent as events first: they are timed from when they are taken.
    await takeSubmittedLeads({ ...context, leads, now: () => context.clock.now() });
    await sweepSlaBreaches({ ...context, reassign: (tenant, leadId, at) => router.reassign(tenant, leadId, at) }, now);
    // Decisions a crash left stored but not receipted.
    await router.settleOwed();
    await approvalsOf(context).settleOwed();
    context.metrics.observeLeadsPastSla(await leadsPastSla(context.state, now));
  },
  seedDemo: async (app, services) => {
    const line = await seedDemoRevops(app, services);
    // What the timers would find at once, found before the server listens: the week-old leads nobody touched, runs past their SLA.
    await sweepSlaBreaches(services, services.clock.now());
    await services.workflows.reportSlaBreaches();
    return line;
  },
  workflowTypes: (services) => [publishRoutingPolicy({ router: routerOf(services) }), discountApproval({ approvals: approvalsOf(services) }), activateCustomer(services)],
};
