import type { Pack } from '../pack.ts';
import { approvalRoutes } from './http/approval-routes.ts';
import { entityRoutes } from './http/entity-routes.ts';
import { graphRoutes } from './http/graph-routes.ts';

export const entityGraphPack: Pack = {
  name: 'entity-graph',
  description: 'Entities (tenants, people, resources) and their edges: policy-gated, versioned, receipted, with dual-controlled deletion.',
  routes: (app, context) => {
    entityRoutes(app, { entities: context.entities, region: context.region });
    graphRoutes(app, { entities: context.entities });
    approvalRoutes(app, { entities: context.entities, approvals: context.approvals, evidence: context.evidence });
  },
};
