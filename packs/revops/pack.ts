import type { Pack } from '../pack.ts';
import { leadRoutes } from './http/index.ts';
import { LEAD_TABLES, LeadIntake, LeadRouter, publishRoutingPolicy, ROUTING_TABLES } from './index.ts';

export const revopsPack: Pack = {
  name: 'revops',
  description: 'Revenue operations: leads taken in (spam parked, duplicates linked, merges) and routed by a governed, versioned policy, each routing receipted.',
  tables: [...LEAD_TABLES, ...ROUTING_TABLES],
  routes: (app, context) => {
    const router = new LeadRouter({ state: context.state, stateScope: context.stateScope, ledger: context.ledger, emit: context.emit });
    leadRoutes(app, { leads: new LeadIntake({ state: context.state, stateScope: context.stateScope, emit: context.emit, router }), router, region: context.region });
  },
  workflowTypes: (services) => [publishRoutingPolicy({ router: new LeadRouter({ state: services.state, stateScope: services.stateScope, ledger: services.ledger, emit: services.emit }) })],
};
