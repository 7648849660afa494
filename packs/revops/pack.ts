import type { Pack, PackContext } from '../pack.ts';
import { leadRoutes } from './http/index.ts';
import { LEAD_TABLES, LeadIntake, LeadRouter, LeadTouches, publishRoutingPolicy, ROUTING_TABLES, leadsPastSla, sweepSlaBreaches } from './index.ts';

const routerOf = (context: Pick<PackContext, 'state' | 'stateScope' | 'ledger' | 'emit'>) =>
  new LeadRouter({ state: context.state, stateScope: context.stateScope, ledger: context.ledger, emit: context.emit });

export const revopsPack: Pack = {
  name: 'revops',
  description: 'Revenue operations: leads taken in (spam parked, duplicates linked, merges), routed by a governed, versioned policy with each routing receipted, and first touches timed against SLAs.',
  tables: [...LEAD_TABLES, ...ROUTING_TABLES],
  routes: (app, context) => {
    const router = routerOf(context);
    const now = () => context.clock.now();
    const leads = new LeadIntake({ state: context.state, stateScope: context.stateScope, emit: context.emit, router, now });
    leadRoutes(app, { leads, router, touches: new LeadTouches(context), now, region: context.region });
  },
  sweep: async (context) => {
    const now = context.clock.now();
    await sweepSlaBreaches(context, now);
    context.metrics.observeLeadsPastSla(await leadsPastSla(context.state, now));
  },
  workflowTypes: (services) => [publishRoutingPolicy({ router: routerOf(services) })],
};
