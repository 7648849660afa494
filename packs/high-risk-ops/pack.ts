import type { Pack } from '../pack.ts';
import { exportRoutes, seedDemoWorkflows } from './http/index.ts';
import { drDrill, erasure, identityMappingChange, ledgerKeyRotation, modelFullRefresh, policyChange, suppliedTypes, temporaryAccess, tenantExport, tokenSecretRotation, webhookSecretRotation } from './index.ts';

export const highRiskOpsPack: Pack = {
  name: 'high-risk-ops',
  description: 'Governed high-risk operations on the platform itself: each runs request → preflight → approvals → execute → verify, receipted.',
  routes: (app, context) => exportRoutes(app, context),
  seedDemo: (app, services) => seedDemoWorkflows(app, services),
  // The age of the last successful DR drill, for the DrDrillStale alert (packs/slo/prometheus-rules.ts).
  sweep: async (context) => {
    const [last] = await context.workflows.list(context.operatorTenant, { type: 'dr-drill', status: 'succeeded', limit: 1 });
    context.metrics.observeLastDrill(last?.transitions.at(-1)?.at, context.clock.now());
  },
  workflowTypes: (services) => [ledgerKeyRotation(services.ledger), policyChange(services), temporaryAccess(services), modelFullRefresh(services), tenantExport(services), erasure(services), tokenSecretRotation(services), webhookSecretRotation(services), identityMappingChange(services), ...suppliedTypes({ drDrill: services.backups && drDrill(services.backups, services.emit) })],
};
