export { seedDemoWorkflows, type WorkflowDemoServices } from './demo-seed.ts';
