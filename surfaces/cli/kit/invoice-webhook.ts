import type { WebhookConfig } from '../../../packs/finops/index.ts';
import { RotatingSecret } from '../../../platform/identity/index.ts';
import type { PlatformConfig } from './config.ts';

/** The invoice webhook's secret once a governed rotation wrote it (runbooks/governed-workflows.md). */
export const WEBHOOK_SECRET_FILE = 'invoice-webhook-secret';

/**
 * The configured invoice webhook, signing with the secret in use: COMPANYOS_INVOICE_WEBHOOK_SECRET
 * until a governed rotation writes one to the data directory, and during a rotation's overlap both.
 */
export async function invoiceWebhookOf(config: PlatformConfig): Promise<{ webhook?: WebhookConfig; secret?: RotatingSecret; rotated: boolean }> {
  if (!config.invoiceWebhook) return { rotated: false };
  const secret = new RotatingSecret(config.dataDir, WEBHOOK_SECRET_FILE, config.invoiceWebhook.secret);
  const rotated = await secret.load();
  return { webhook: { ...config.invoiceWebhook, signingSecrets: () => secret.inUse() }, secret, rotated };
}
