export { leadRoutes } from './lead-routes.ts';
export { quoteRoutes } from './quote-routes.ts';
export { seedDemoRevops } from './demo-seed.ts';
