export { TENANT_ZERO } from './tenant-zero.ts';
export { Where } from './where.ts';
export { decodeCursor, encodeCursor } from './cursor.ts';
export { TenantScope, SqlFragment, sql, raw, join, type ScopeSource, type ScopedReads } from './tenant-scope.ts';
export { stateSource } from './state-source.ts';
export { QUOTA_KINDS, TenantQuotas, parseQuotaConfig, type QuotaAnswer, type QuotaConfig, type QuotaKind } from './tenant-quotas.ts';
