export { DirectoryTarget, type BackupTarget } from './backup-target.ts';
export { MANIFEST_OBJECT, openManifest, type BackupManifest, type BackupObject, type LedgerHead } from './backup-manifest.ts';
export { backupFolder, takeBackup, type BackupOptions, type DuckDBSource } from './take-backup.ts';
export { RESTORED_DATABASE, restoreBackup, type RestoreOptions, type RestoreReport } from './restore-backup.ts';
export type { BackupServices } from './backup-services.ts';
export { ChangeLog, type Change, type LoggedChange } from './change-log.ts';
export { captureChanges, type CapturedStores } from './capture-changes.ts';
export { BackupShipping, SHIP_EVERY_MS, type ShippingStatus } from './backup-shipping.ts';
export { changesFolder, segmentObject } from './change-segments.ts';
