import { access } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ModelFile, ModelGenerator } from '../../../platform/transforms/index.ts';
import { ALLOCATION_FILE } from './allocation-rules.ts';
import { PRICING_FILE } from './pricing-rules.ts';

export const TENANT_DAYS = 'finops_tenant_days';

const since = `(SELECT {{ reread_watermark('last_ingested_at') }} FROM {{ this }})`;

/**
 * Per tenant and day with events: the plan and SLA tier of its latest event that carries both, and when
 * that was. What the even split (tenants active in a window) and the tenant profile (plan and tier per
 * month) read, so that neither scans every event. Incremental: the events ingested since the last build
 * are folded into the days they touch. max and argMax give the same answer for a copy of an event and for
 * an older version of a row, so the fold is exact where duplicates wait for a merge (ClickHouse) too.
 * Read from the events as stored, without deduplicating, for the same reason.
 */
export function tenantDaysModel(path: string): ModelFile {
  // Inner names differ from the outer aliases: ClickHouse resolves an alias anywhere in the query.
  const body = `SELECT tenant_id, activity_day,
  argMax(event_plan, event_profiled_at) AS plan, argMax(event_tier, event_profiled_at) AS sla_tier, max(event_profiled_at) AS profiled_at,
  max(event_ingested_at) AS last_ingested_at
FROM (
  SELECT tenant_id, {{ time_window('day', 'time') }} AS activity_day, plan AS event_plan, sla_tier AS event_tier,
    CASE WHEN coalesce(plan, '') != '' AND coalesce(sla_tier, '') != '' THEN time END AS event_profiled_at, ingested_at AS event_ingested_at
  FROM {{ raw_rows('events') }} active
{% if is_incremental() %}
  WHERE ingested_at > ${since}
  UNION ALL
  SELECT tenant_id, activity_day, plan, sla_tier, profiled_at, last_ingested_at FROM {{ this }} built
  WHERE (tenant_id, activity_day) IN (
    SELECT tenant_id, {{ time_window('day', 'time') }} FROM {{ raw_rows('events') }} arrived WHERE ingested_at > ${since}
  )
{% endif %}
) days
GROUP BY tenant_id, activity_day`;
  return {
    name: TENANT_DAYS,
    path,
    body,
    refs: [],
    sources: [['raw', 'events']],
    config: {
      materialized: 'incremental',
      uniqueKey: ['tenant_id', 'activity_day'],
      tags: ['finops'],
      description: 'Per tenant and day with events: the plan and SLA tier its latest event carrying both gave, and when',
      columns: {},
    },
  };
}

/** `finops_tenant_days`, for a project that declares cost attribution or pricing (both read it). */
export const tenantDaysGenerator: ModelGenerator = {
  reads: 'finops/',
  async generate(projectDir) {
    for (const file of [ALLOCATION_FILE, PRICING_FILE]) {
      const path = join(projectDir, file);
      if (await access(path).then(() => true, () => false)) return { models: [tenantDaysModel(relative(process.cwd(), path))], problems: [] };
    }
    return { models: [], problems: [] };
  },
};
