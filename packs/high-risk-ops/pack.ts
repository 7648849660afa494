import type { Pack } from '../pack.ts';
import { exportRoutes, seedDemoWorkflows } from './http/index.ts';
import { drDrill, ledgerKeyRotation, modelFullRefresh, policyChange, suppliedTypes, temporaryAccess, tenantExport, tokenSecretRotation, webhookSecretRotation } from './index.ts';

export const highRiskOpsPack: Pack = {
  name: 'high-risk-ops',
  description: 'Governed high-risk operations on the platform itself: each runs request → preflight → approvals → execute → verify, receipted.',
  routes: (app, context) => exportRoutes(app, context),
  seedDemo: (app, services) => seedDemoWorkflows(app, services),
  workflowTypes: (services) => [ledgerKeyRotation(services.ledger), policyChange(services), temporaryAccess(services), modelFullRefresh(services), tenantExport(services), tokenSecretRotation(services), webhookSecretRotation(services), ...suppliedTypes({ drDrill: services.backups && drDrill(services.backups, services.emit) })],
};
