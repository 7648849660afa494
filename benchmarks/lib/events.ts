import { TENANT_ZERO_TYPES } from '../../packs/metering/index.ts';

/** Metering events shaped like real ones (~330 bytes each), deterministic per index. */
export function benchmarkEvent(i: number, tenant: string) {
  const type = TENANT_ZERO_TYPES[i % TENANT_ZERO_TYPES.length]!;
  return {
    specversion: '1.0' as const,
    id: `bench-${i}`,
    source: `urn:companyos:${tenant}:bench`,
    type,
    time: new Date(Date.UTC(2026, 10, 1) + i * 10).toISOString(),
    tenantid: tenant,
    policyversion: 'bundle-2026.11.1',
    plan: 'enterprise',
    feature: type.split('.')[0],
    flowtype: 'benchmark',
    data: { value: i % 97, status: i % 13 ? 'succeeded' : 'failed', latency_ms: (i * 7) % 500, region: 'eu-west-1' },
  };
}
