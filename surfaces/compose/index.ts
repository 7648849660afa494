export { createPlatform, type Platform, type PlatformOptions, type QueuedEvent } from './create-platform.ts';
export { migratePlatform } from './migrate-platform.ts';
export { platformTables } from './platform-tables.ts';
