export { loadSlos } from './openslo.ts';
export { prometheusRules } from './prometheus-rules.ts';
export { projectSloModels } from './slo-project.ts';
