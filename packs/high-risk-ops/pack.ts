import type { Pack } from '../pack.ts';
import { ledgerKeyRotation, policyChange, temporaryAccess } from './index.ts';

export const highRiskOpsPack: Pack = {
  name: 'high-risk-ops',
  description: 'Governed high-risk operations on the platform itself: each runs request → preflight → approvals → execute → verify, receipted.',
  workflowTypes: (services) => [ledgerKeyRotation(services.ledger), policyChange(services), temporaryAccess(services)],
};
