import type { Pack } from '../pack.ts';
import { leadRoutes } from './http/index.ts';
import { LEAD_TABLES, LeadIntake } from './index.ts';

export const revopsPack: Pack = {
  name: 'revops',
  description: 'Revenue operations: leads taken in, normalized, parked as spam with a disposition or linked to the lead they duplicate, and merged.',
  tables: LEAD_TABLES,
  routes: (app, context) => {
    leadRoutes(app, { leads: new LeadIntake({ state: context.state, stateScope: context.stateScope, emit: context.emit }), region: context.region });
  },
};
