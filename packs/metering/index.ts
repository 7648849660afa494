export { parseMeters, meterProjectModels, meterModelName, distinctValuesModelName, AGGREGATIONS, DECIMAL_AGGREGATIONS, type Meter, type Aggregation } from './meters.ts';
export { tenantZeroWeek, TENANT_ZERO_TYPES, SEED_POLICY_VERSION } from './seed/tenant-zero.ts';
export { readUsage } from './usage-queries.ts';
