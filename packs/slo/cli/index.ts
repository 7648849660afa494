export { registerSlo } from './slo.ts';
