export { flowOf, flowRoutes } from './flows.ts';
export { PlatformMetrics } from './metrics.ts';
