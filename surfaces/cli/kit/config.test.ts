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

describe('retention settings', () => {
  it('are off unless set; on gives the default windows; pairs override them, keep meaning never', () => {
    expect(loadConfig({}).retention).toBeUndefined();
    expect(loadConfig({ COMPANYOS_RETENTION: 'off' }).retention).toBeUndefined();
    expect(loadConfig({ COMPANYOS_RETENTION: 'on' }).retention).toEqual({ 'raw-events': 400, quarantine: 30, bills: 760, 'run-history': 90, 'decision-log': 400, evidence: 2555, audit: 2555, 'financial-record': 3650 });
    expect(loadConfig({ COMPANYOS_RETENTION: 'raw-events=90, bills=keep' }).retention).toMatchObject({ 'raw-events': 90, bills: null, quarantine: 30 });
  });

  it('refuse a class without a window, and a window that is not a whole number of days', () => {
    expect(() => loadConfig({ COMPANYOS_RETENTION: 'operational=10' })).toThrow(new ConfigError('COMPANYOS_RETENTION: "operational" is not a retention class with a window; use one of raw-events, quarantine, bills, run-history, decision-log, evidence, audit, financial-record.'));
    for (const bad of ['raw-events=0', 'raw-events=1.5', 'raw-events=-3', 'raw-events', 'raw-events=1=2', 'quarantine=ten']) {
      expect(() => loadConfig({ COMPANYOS_RETENTION: bad }), bad).toThrow(/COMPANYOS_RETENTION: .* needs a whole number of days/);
    }
  });
});

describe('backup shipping settings', () => {
  it('are off unless set; on ships every second; 1 to 5 are the seconds between shipments', () => {
    expect(loadConfig({}).backupShippingMs).toBeUndefined();
    expect(loadConfig({ COMPANYOS_BACKUP_SHIPPING: 'off' }).backupShippingMs).toBeUndefined();
    expect(loadConfig({ COMPANYOS_BACKUP_SHIPPING: 'on' }).backupShippingMs).toBe(1000);
    expect(loadConfig({ COMPANYOS_BACKUP_SHIPPING: '5' }).backupShippingMs).toBe(5000);
  });

  it('keep 35 days of backups unless told another whole number of days', () => {
    expect(loadConfig({}).backupKeepDays).toBe(35);
    expect(loadConfig({ COMPANYOS_BACKUP_KEEP_DAYS: '7' }).backupKeepDays).toBe(7);
    for (const bad of ['0', '-1', '1.5', 'week', '100000']) {
      expect(() => loadConfig({ COMPANYOS_BACKUP_KEEP_DAYS: bad }), bad).toThrow(new ConfigError(`COMPANYOS_BACKUP_KEEP_DAYS must be a whole number of days from 1 to 99999; got "${bad}".`));
    }
  });

  it('refuse an interval that would break the 5 s RPO, or is not whole seconds', () => {
    for (const bad of ['0', '6', '60', '1.5', '-1', 'yes', '1s']) {
      expect(() => loadConfig({ COMPANYOS_BACKUP_SHIPPING: bad }), bad).toThrow(new ConfigError(`COMPANYOS_BACKUP_SHIPPING must be off, on, or the seconds between shipments from 1 to 5 (what a kill may lose); got "${bad}".`));
    }
  });
});

describe('the DuckDB storage format setting', () => {
  it('takes a DuckDB storage version and refuses anything else before the platform starts', () => {
    expect(() => loadConfig({ COMPANYOS_DUCKDB_STORAGE_VERSION: 'v1.0.0' })).not.toThrow();
    for (const bad of ['latest', '1.4.0', 'v1.4', 'v1.4.0; DROP TABLE events']) {
      expect(() => loadConfig({ COMPANYOS_DUCKDB_STORAGE_VERSION: bad }), bad).toThrow(ConfigError);
    }
    expect(() => loadConfig({ COMPANYOS_DUCKDB_STORAGE_VERSION: 'latest' })).toThrow(/COMPANYOS_DUCKDB_STORAGE_VERSION must be a DuckDB storage version such as v1\.0\.0 or v1\.4\.0; got "latest"/);
  });
});
