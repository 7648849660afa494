export { ledgerKeyRotation } from './ledger-key-rotation.ts';
export { policyChange, type PolicyChangeParams } from './policy-change.ts';
export { temporaryAccess, type TemporaryAccessParams } from './temporary-access.ts';
export { modelFullRefresh, type ModelFullRefreshParams } from './model-full-refresh.ts';
export { suppliedTypes, type SuppliedExecutor, type SuppliedExecutors } from './supplied-executors.ts';
export { exportFile, tenantExport, type TenantExportParams, type TenantExportServices } from './tenant-export.ts';
export { tokenSecretRotation, type TokenSecretRotationParams } from './token-secret-rotation.ts';
export { webhookSecretRotation, type WebhookSecretRotationParams } from './webhook-secret-rotation.ts';
export { drDrill, RTO_TARGET_SECONDS, type DrillOutcome } from './dr-drill.ts';
