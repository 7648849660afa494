export { seedDemoWorkflows, type WorkflowDemoServices } from './demo-seed.ts';
export { exportRoutes } from './export-routes.ts';
