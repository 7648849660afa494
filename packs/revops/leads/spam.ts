import { createRequire } from 'node:module';

/** Why a lead was parked as spam. */
export type SpamDisposition = 'honeypot' | 'disposable-domain' | 'rate-limited';

// The community list (CC0) of throwaway mail domains, as a JSON array without types of its own; read on the first
// lead rather than when the module loads (every CLI command and platform start loads this module).
let disposable: Set<string> | undefined;
const disposableDomains = (): Set<string> =>
  (disposable ??= new Set(createRequire(import.meta.url)('disposable-email-domains') as string[]));

export function isDisposable(domain: string | null): boolean {
  if (!domain) return false;
  // A subdomain of a disposable service is one too.
  const labels = domain.split('.');
  for (let i = 0; i < labels.length - 1; i++) if (disposableDomains().has(labels.slice(i).join('.'))) return true;
  return false;
}

/**
 * Leads per tenant and origin (a form's submitter address) in a sliding window: past `limit` within `windowMs`,
 * the rest are parked as `rate-limited`. Kept by the process that takes the intake. Counted per tenant: one
 * tenant's leads neither park another's nor show it how many came from an address.
 */
export class OriginRate {
  private readonly seen = new Map<string, number[]>();

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts one lead of `tenant` from `origin` at `at`; true when it is over the limit. */
  over(tenant: string, origin: string, at: number): boolean {
    const key = JSON.stringify([tenant, origin]);
    const recent = (this.seen.get(key) ?? []).filter((t) => t > at - this.windowMs);
    recent.push(at);
    this.seen.set(key, recent);
    if (this.seen.size > 100_000) this.seen.clear();
    return recent.length > this.limit;
  }
}
