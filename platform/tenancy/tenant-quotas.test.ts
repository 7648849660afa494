import { describe, expect, it } from 'vitest';
import { TenantQuotas, parseQuotaConfig } from './tenant-quotas.ts';

describe('tenant quotas', () => {
  const clock = () => {
    let at = 1_000_000;
    return { now: () => at, advance: (ms: number) => (at += ms) };
  };

  it('lets a tenant use a second of its rate at once, refuses the next with the seconds until it may, and refills', () => {
    const time = clock();
    const quotas = new TenantQuotas(parseQuotaConfig('requests=5'), time.now);
    for (let i = 0; i < 5; i++) expect(quotas.take('acme', 'requests')).toEqual({ allowed: true });
    expect(quotas.take('acme', 'requests')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // Another tenant has a bucket of its own.
    expect(quotas.take('globex', 'requests')).toEqual({ allowed: true });
    time.advance(400);
    expect(quotas.take('acme', 'requests')).toEqual({ allowed: true });
    expect(quotas.take('acme', 'requests')).toEqual({ allowed: true });
    expect(quotas.take('acme', 'requests').allowed).toBe(false);
    time.advance(10_000);
    // Full again, never fuller than a second's worth.
    for (let i = 0; i < 5; i++) expect(quotas.take('acme', 'requests').allowed).toBe(true);
    expect(quotas.take('acme', 'requests').allowed).toBe(false);
  });

  it('admits a batch larger than the bucket once, then makes the tenant wait until the debt has refilled', () => {
    const time = clock();
    const quotas = new TenantQuotas(parseQuotaConfig('ingest-events=1000'), time.now);
    expect(quotas.take('acme', 'ingest-events', 5_000)).toEqual({ allowed: true });
    expect(quotas.peek('acme', 'ingest-events')).toEqual({ allowed: false, retryAfterSeconds: 5 });
    expect(quotas.take('acme', 'ingest-events', 1)).toEqual({ allowed: false, retryAfterSeconds: 5 });
    time.advance(3_000);
    expect(quotas.take('acme', 'ingest-events', 1)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    time.advance(2_001);
    expect(quotas.take('acme', 'ingest-events', 1).allowed).toBe(true);
  });

  it('puts no tenant in debt when its clock goes back (a wall clock set back, an adjustable clock moved)', () => {
    const time = clock();
    const quotas = new TenantQuotas(parseQuotaConfig('requests=5'), time.now);
    expect(quotas.take('acme', 'requests')).toEqual({ allowed: true });
    time.advance(-3 * 86_400_000);
    for (let i = 0; i < 4; i++) expect(quotas.take('acme', 'requests')).toEqual({ allowed: true });
    expect(quotas.take('acme', 'requests')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('reads per-tenant rates over the defaults, unlimited included, and leaves unlisted kinds unlimited', () => {
    const quotas = new TenantQuotas(parseQuotaConfig('requests=100, acme:requests=5, ingest-events=1000, bulk:ingest-events=unlimited'));
    expect(quotas.rate('acme', 'requests')).toBe(5);
    expect(quotas.rate('globex', 'requests')).toBe(100);
    expect(quotas.rate('bulk', 'ingest-events')).toBeUndefined();
    expect(quotas.rate('globex', 'ingest-events')).toBe(1000);
    const off = new TenantQuotas(parseQuotaConfig('off'));
    for (let i = 0; i < 10_000; i++) expect(off.take('acme', 'requests').allowed).toBe(true);
  });

  it('refuses a setting it cannot read with a sentence saying what it expects', () => {
    expect(() => parseQuotaConfig('requests')).toThrow('is not [tenant:]kind=rate');
    expect(() => parseQuotaConfig('request=10')).toThrow('"request" is not a quota; use requests or ingest-events');
    expect(() => parseQuotaConfig('requests=0')).toThrow('a rate of 0 would refuse everything');
    expect(() => parseQuotaConfig('requests=-5')).toThrow('is not [tenant:]kind=rate');
    expect(() => parseQuotaConfig('Acme:requests=5')).toThrow('is not [tenant:]kind=rate');
  });
});
