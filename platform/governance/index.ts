export { ApprovalStore } from './approval-store.ts';
export { EntityStore } from './entities/entity-store.ts';
export { EvidenceStore } from './evidence-store.ts';
