export { expireRows, expiringTables, type Tombstone } from './expire-rows.ts';
export { ALL_TENANTS, PURGE_MANIFEST_FORMAT, PURGE_MANIFEST_PAYLOAD_TYPE, PURGE_MANIFESTS_TABLE, signPurgeManifest, type PurgeManifest } from './purge-manifest.ts';
export { RetentionService, type RetentionOptions } from './retention-service.ts';
export { purgeReceiptId, readPurgeManifests, type StoredPurgeManifest } from './read-purge-manifests.ts';
export { DEFAULT_RETENTION_DAYS, EXPIRING_CLASSES, parseRetentionDays, RetentionWindowsError, type ExpiringClass, type RetentionWindows } from './retention-windows.ts';
