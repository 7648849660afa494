export { ConfigError, ENVIRONMENT, jwtSecret, loadConfig, warehouseConfig, type PlatformConfig } from './config.ts';
export { connectPlatform, localPlatformClient, type ClientBuildRequest, type IngestReply, type PlatformClient, type PricingSimulation } from './platform-client.ts';
export { positiveInteger } from './cli-options.ts';
export { findRunningPlatform, forgetRunningPlatform, recordRunningPlatform } from './running-platform.ts';
export { openLocalPlatform } from './local-platform.ts';
export type { PackJob, PackJobContext } from './pack-job.ts';
export { invoiceWebhookOf, WEBHOOK_SECRET_FILE } from './invoice-webhook.ts';
export { readVerifierKeys } from './verifier-keys.ts';
