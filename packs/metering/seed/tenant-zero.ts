import type { CloudEvent } from '../../../kernel/schemas/index.ts';
import { SeededRandom } from '../../../kernel/random/index.ts';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';

export { TENANT_ZERO };

export const SEED_POLICY_VERSION = 'bundle-2026.11.1';

/**
 * The Tenant Zero metering event types the seed generates, resource usage included. Workflow
 * executions, high-risk requests, leads and quotes are not among them: the demo drives real
 * runs, leads and quotes through the packs' APIs instead (packs/high-risk-ops/http/demo-seed.ts,
 * packs/revops/http/demo-seed.ts), which meter them.
 */
export const TENANT_ZERO_TYPES = [
  'policy.decisions_total',
  'resource.cpu_usage',
  'resource.storage_usage',
  'api.requests_total',
  'notary.calls_total',
] as const;

/** Stores sampled once an hour for `resource.storage_usage`, with their size at the start of the week in GB. */
const STORES = [['warehouse', 180], ['ledger', 12], ['object-store', 640]] as const;

type Generator = (random: SeededRandom) => Pick<CloudEvent, 'feature' | 'flowtype' | 'subject' | 'data'>;

const GENERATORS: Record<Exclude<(typeof TENANT_ZERO_TYPES)[number], 'resource.storage_usage'>, { perHour: number; make: Generator }> = {
  'policy.decisions_total': {
    perHour: 90,
    make: (r) => {
      const decision = r.weighted([['allow', 93], ['deny', 7]] as const);
      return {
        feature: 'policy',
        flowtype: 'decision',
        subject: r.pick(['entity/read', 'entity/update', 'ledger/append', 'workflow/run', 'export/create']),
        data: { bundle: 'core', package: r.pick(['entity', 'ledger', 'workflow', 'export']), decision, latency_ms: r.latency(12) },
      };
    },
  },
  'resource.cpu_usage': {
    perHour: 8,
    make: (r) => ({
      feature: 'platform',
      flowtype: 'compute',
      data: { service: r.pick(['api', 'warehouse', 'kafka-consumer', 'scheduler']), cpu_seconds: (r.int(50, 90_000) / 1000).toFixed(3) },
    }),
  },
  // The shape the API records about itself (surfaces/http/self-metering.ts), so the SLO models and pages read the seed like live traffic.
  'api.requests_total': {
    perHour: 60,
    make: (r) => {
      const [flow, method, route, ok] = r.weighted([
        [['event-ingest', 'POST', '/v1/events', 202], 30],
        [['create-entity', 'POST', '/v1/entities', 201], 10],
        [['grant-entitlement', 'POST', '/v1/entities/:id/entitlements', 201], 5],
        [['approval', 'POST', '/v1/approvals', 201], 3],
        [['policy-simulate', 'POST', '/v1/policy/simulate', 200], 4],
        [['provenance-fetch', 'GET', '/v1/provenance/receipts/:id', 200], 8],
      ] as const);
      const status = r.weighted([[ok, 96], [403, 2], [422, 1.6], [500, 0.4]] as const);
      return {
        feature: 'api',
        flowtype: flow,
        data: {
          route,
          method,
          status,
          status_class: `${String(status)[0]}xx`,
          outcome: status >= 500 ? 'error' : 'ok',
          latency_ms: r.latency(flow === 'event-ingest' ? 40 : 18),
        },
      };
    },
  },
  'notary.calls_total': {
    perHour: 6,
    make: (r) => ({
      feature: 'provenance',
      flowtype: 'notarize',
      data: { operation: r.weighted([['sign', 3], ['verify', 2]] as const), key_id: 'summit-notary-2026' },
    }),
  },
};

/**
 * One `resource.storage_usage` sample per store per hour: the store's size in
 * GB, and the GB-hours since the last sample (an hour at that size).
 */
function storageSamples(random: SeededRandom, hour: number, hoursIn: number): CloudEvent[] {
  return STORES.map(([store, startGb]) => {
    const gb = (startGb * (1 + hoursIn * 0.0015) + random.next()).toFixed(3);
    return event('resource.storage_usage', `seed-resource.storage_usage-${hour}-${store}`, new Date(hour * 3_600_000 + random.int(0, 59_999)), {
      feature: 'platform',
      flowtype: 'storage',
      data: { store, gb, gb_hours: gb },
    });
  });
}

function event(type: string, id: string, time: Date, body: ReturnType<Generator>): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: `urn:companyos:${TENANT_ZERO}:${type.split('.')[0]}`,
    type,
    time: time.toISOString(),
    tenantid: TENANT_ZERO,
    policyversion: SEED_POLICY_VERSION,
    plan: 'internal',
    slatier: 'gold',
    datacontenttype: 'application/json',
    ...body,
  };
}

/** Weekday daytime traffic is heavier than nights and weekends (UTC office hours). */
function loadFactor(at: Date): number {
  const hour = at.getUTCHours();
  const weekend = at.getUTCDay() === 0 || at.getUTCDay() === 6;
  const daytime = hour >= 8 && hour < 19 ? 1 : hour >= 6 && hour < 22 ? 0.5 : 0.15;
  return daytime * (weekend ? 0.35 : 1);
}

/**
 * A realistic week of `summit-internal` metering events ending at `end`:
 * the same events for the same seed, so demos and tests agree.
 */
export function tenantZeroWeek(end: Date, seed = 20261122): CloudEvent[] {
  const random = new SeededRandom(seed);
  const events: CloudEvent[] = [];
  const startHour = Math.floor(end.getTime() / 3_600_000) - 7 * 24;
  for (let hour = startHour; hour < startHour + 7 * 24; hour++) {
    const hourStart = new Date(hour * 3_600_000);
    for (const [type, { perHour, make }] of Object.entries(GENERATORS)) {
      const count = Math.round(perHour * loadFactor(hourStart) * (0.8 + 0.4 * random.next()));
      for (let i = 0; i < count; i++) {
        const time = new Date(hourStart.getTime() + random.int(0, 3_599_999));
        if (time > end) continue;
        events.push(event(type, `seed-${type}-${hour}-${i}`, time, make(random)));
      }
    }
    events.push(...storageSamples(random, hour, hour - startHour).filter((e) => Date.parse(e.time!) <= end.getTime()));
  }
  return events.sort((a, b) => a.time!.localeCompare(b.time!));
}
