export { approvalRoutes } from './approval-routes.ts';
export { entityRoutes } from './entity-routes.ts';
export { graphRoutes } from './graph-routes.ts';
