import type { Pack } from '../pack.ts';
import { approvalRoutes } from './http/index.ts';
import { entityRoutes } from './http/index.ts';
import { graphRoutes } from './http/index.ts';

export const entityGraphPack: Pack = {
  name: 'entity-graph',
  description: 'Entities (tenants, people, resources) and their edges: policy-gated, versioned, receipted, with dual-controlled deletion.',
  routes: (app, context) => {
    entityRoutes(app, { entities: context.entities, region: context.region });
    graphRoutes(app, { entities: context.entities });
    approvalRoutes(app, { entities: context.entities, approvals: context.approvals, evidence: context.evidence });
  },
};
