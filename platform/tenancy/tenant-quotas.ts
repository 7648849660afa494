/** What a tenant's quota limits, per second. */
export const QUOTA_KINDS = ['requests', 'ingest-events'] as const;
export type QuotaKind = (typeof QUOTA_KINDS)[number];

/** Rates per second by kind (undefined: no limit), for every tenant and for named ones. */
export interface QuotaConfig {
  defaults: Partial<Record<QuotaKind, number>>;
  tenants: Record<string, Partial<Record<QuotaKind, number | null>>>;
}

export type QuotaAnswer = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Per-tenant rate quotas as token buckets: a tenant's bucket of a kind refills at its rate and holds
 * one second of it. A take is allowed while the bucket holds one or more and may overdraw it (a batch
 * larger than a second's worth still goes, once, and the tenant then waits for the debt to refill);
 * an empty bucket refuses, naming the seconds until it holds something again. Counted per process:
 * behind a balancer with N replicas a tenant gets up to N times its rate.
 */
export class TenantQuotas {
  private readonly buckets = new Map<string, Bucket>();

  /** `now` in milliseconds, monotonic by default: a wall clock set back would leave every bucket in debt for as long. */
  constructor(
    readonly config: QuotaConfig,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The tenant's rate of `kind` per second; undefined when unlimited. */
  rate(tenant: string, kind: QuotaKind): number | undefined {
    const own = this.config.tenants[tenant]?.[kind];
    return own === null ? undefined : (own ?? this.config.defaults[kind]);
  }

  /** Takes `amount` from the tenant's bucket of `kind`, or refuses when it is empty. */
  take(tenant: string, kind: QuotaKind, amount = 1): QuotaAnswer {
    const bucket = this.bucket(tenant, kind);
    if (!bucket) return { allowed: true };
    const answer = this.check(tenant, kind, bucket);
    if (answer.allowed) bucket.tokens -= amount;
    return answer;
  }

  /** Whether a take would be refused now, without taking: to refuse a request before reading its body. */
  peek(tenant: string, kind: QuotaKind): QuotaAnswer {
    const bucket = this.bucket(tenant, kind);
    return bucket ? this.check(tenant, kind, bucket) : { allowed: true };
  }

  private check(tenant: string, kind: QuotaKind, bucket: Bucket): QuotaAnswer {
    if (bucket.tokens >= 1) return { allowed: true };
    const rate = this.rate(tenant, kind)!;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
  }

  /** The bucket refilled to now; undefined when the tenant's `kind` is unlimited. */
  private bucket(tenant: string, kind: QuotaKind): Bucket | undefined {
    const rate = this.rate(tenant, kind);
    if (rate === undefined) return undefined;
    const key = `${kind}\u0000${tenant}`;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { tokens: rate, at: now }));
    bucket.tokens = Math.min(rate, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rate);
    bucket.at = now;
    return bucket;
  }
}

/**
 * `COMPANYOS_TENANT_QUOTAS`: `off`, or comma-separated `[tenant:]kind=rate` pairs — `requests=1000,ingest-events=100000`
 * for every tenant, `acme:ingest-events=5000` for one, `unlimited` as a rate lifting it. Throws a sentence on anything else.
 */
export function parseQuotaConfig(text: string): QuotaConfig {
  const config: QuotaConfig = { defaults: {}, tenants: {} };
  if (text.trim() === 'off') return config;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(?:([a-z0-9][a-z0-9._-]{0,127}):)?([a-z-]+)=(\d+|unlimited)$/.exec(part);
    if (!match) throw new Error(`"${part}" is not [tenant:]kind=rate (e.g. requests=1000, acme:ingest-events=5000)`);
    const [, tenant, kind, value] = match;
    if (!(QUOTA_KINDS as readonly string[]).includes(kind!)) throw new Error(`"${kind}" is not a quota; use ${QUOTA_KINDS.join(' or ')}`);
    const rate = value === 'unlimited' ? null : Number(value);
    if (rate === 0) throw new Error(`"${part}": a rate of 0 would refuse everything; use a positive rate`);
    if (tenant) (config.tenants[tenant] ??= {})[kind as QuotaKind] = rate;
    else if (rate === null) delete config.defaults[kind as QuotaKind];
    else config.defaults[kind as QuotaKind] = rate;
  }
  return config;
}
