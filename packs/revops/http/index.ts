export { leadRoutes } from './lead-routes.ts';
export { quoteRoutes } from './quote-routes.ts';
