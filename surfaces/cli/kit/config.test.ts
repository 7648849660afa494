import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('invoice webhook settings', () => {
  const secret = 'a-shared-secret-of-at-least-32-characters';

  it('are off without a URL, and read with their defaults when it is set', () => {
    expect(loadConfig({}).invoiceWebhook).toBeUndefined();
    expect(loadConfig({ COMPANYOS_INVOICE_WEBHOOK_URL: 'https://billing.example/hooks', COMPANYOS_INVOICE_WEBHOOK_SECRET: secret }).invoiceWebhook)
      .toMatchObject({ url: 'https://billing.example/hooks', secret, maxAttempts: 5 });
  });

  it('refuse a URL without a long enough secret, a URL that is not http(s), and a bad attempt count', () => {
    expect(() => loadConfig({ COMPANYOS_INVOICE_WEBHOOK_URL: 'https://billing.example/hooks', COMPANYOS_INVOICE_WEBHOOK_SECRET: 'short' }))
      .toThrow(new ConfigError('COMPANYOS_INVOICE_WEBHOOK_URL needs COMPANYOS_INVOICE_WEBHOOK_SECRET, at least 32 characters, to sign deliveries.'));
    expect(() => loadConfig({ COMPANYOS_INVOICE_WEBHOOK_URL: 'ftp://billing.example', COMPANYOS_INVOICE_WEBHOOK_SECRET: secret })).toThrow(/must be an http\(s\) URL/);
    expect(() => loadConfig({ COMPANYOS_INVOICE_WEBHOOK_URL: 'http://x', COMPANYOS_INVOICE_WEBHOOK_SECRET: secret, COMPANYOS_INVOICE_WEBHOOK_ATTEMPTS: '0' }))
      .toThrow(/COMPANYOS_INVOICE_WEBHOOK_ATTEMPTS must be a whole number from 1 to 20/);
  });
});
