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

/** Origins an `OriginRate` keeps for one tenant at most. */
const MAX_ORIGINS = 100_000;

/**
 * Leads per tenant and origin (a form's submitter address) in a sliding window: past `limit` within `windowMs`,
 * the rest are parked as `rate-limited`. Kept by the process that takes the intake. Counted per tenant: one
 * tenant's leads neither park another's nor show it how many came from an address, and a tenant's flood of new
 * addresses makes room among its own only.
 */
export class OriginRate {
  private readonly tenants = new Map<string, Map<string, number[]>>();

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts one lead of `tenant` from `origin` at `at`; true when it is over the limit. */
  over(tenant: string, origin: string, at: number): boolean {
    let seen = this.tenants.get(tenant);
    if (!seen) this.tenants.set(tenant, (seen = new Map()));
    const recent = (seen.get(origin) ?? []).filter((t) => t > at - this.windowMs);
    recent.push(at);
    seen.set(origin, recent);
    if (seen.size > MAX_ORIGINS) this.forgetQuiet(seen, at);
    return recent.length > this.limit;
  }

  /** Past `MAX_ORIGINS` of a tenant: its origins with no lead within the window go, then, down to half, its longest quiet. */
  private forgetQuiet(seen: Map<string, number[]>, at: number): void {
    for (const [origin, times] of seen) if (times.at(-1)! <= at - this.windowMs) seen.delete(origin);
    if (seen.size <= MAX_ORIGINS) return;
    const quietFirst = [...seen].sort(([, a], [, b]) => a.at(-1)! - b.at(-1)!);
    for (const [origin] of quietFirst.slice(0, seen.size - MAX_ORIGINS / 2)) seen.delete(origin);
  }
}
