import { modelText, tableModels, type ModelFile } from '../../platform/transforms/index.ts';
import { BURN_ALERTS } from './prometheus-rules.ts';
import type { Slo } from './openslo.ts';

/** Burn-rate windows, in minutes, named as the alerts name them. */
const WINDOWS: Record<string, number> = { '5m': 5, '30m': 30, '1h': 60, '2h': 120, '6h': 360, '1d': 1440, '3d': 4320 };

/**
 * The SLO models the OpenSLO files become, over the API's own request events:
 * slo_request_windows (total and good requests per five minutes, tenant and
 * flow) → slo_status (per tenant and SLO, as of the latest window: SLI and
 * error budget remaining over the SLO window, and the burn rate over each
 * alert window, with the page/ticket conditions of FORMATS.md).
 */
export function sloModels(slos: readonly Slo[], path: string): ModelFile[] {
  if (slos.length === 0) return [];
  const model = tableModels(path, 'slo');
  return [
    requestWindowsModel(slos, path),
    model('slo_status', status(slos), ['slo_request_windows'], 'Per tenant and SLO, as of the latest window: SLI and budget remaining over the SLO window, burn rate per alert window, page and ticket'),
  ];
}

const REQUESTS = "'api.requests_total'";

/**
 * Total and good requests per five minutes, tenant and flow. Incremental: a build recomputes the windows that the
 * request events stored since its last one fall in (back to `reread_watermark`, which on ClickHouse reaches an hour
 * before the newest stamp), each from all of its requests, deduplicated; other windows keep what they hold. A full
 * build read every request event each time (2–3 s of a 10M-event cluster's incremental build).
 */
function requestWindowsModel(slos: readonly Slo[], path: string): ModelFile {
  const bound = `CASE flow_type ${slos.map((s) => `WHEN ${modelText(s.flow)} THEN ${s.latencyMsAtMost}`).join(' ')} ELSE 0 END`;
  const body = `SELECT window_start, tenant_id, flow, count(*) AS total, sum(is_good) AS good, max(request_ingested_at) AS last_ingested_at
FROM (
  SELECT {{ five_minute_window('time') }} AS window_start, tenant_id, coalesce(flow_type, '') AS flow,
    -- Good: answered ok within the bound. A latency missing or not a JSON number is not shown within it.
    CASE WHEN {{ json_string('data', 'outcome') }} = 'ok' AND {{ json_is_number('data', 'latency_ms') }} AND {{ json_number('data', 'latency_ms') }} <= ${bound} THEN 1 ELSE 0 END AS is_good,
    ingested_at AS request_ingested_at
  -- The type and window filter inside the deduplicated read (ClickHouse: before FINAL merges every column), the rest after it.
  FROM (SELECT * FROM {{ deduplicated_where_sort_key('events', 'typed') }} typed.type = ${REQUESTS}
{% if is_incremental() %}
    AND ({{ five_minute_window('time') }}, typed.tenant_id) IN (
      SELECT DISTINCT {{ five_minute_window('time') }}, tenant_id FROM {{ raw_rows('events') }} arrived
      WHERE arrived.type = ${REQUESTS} AND arrived.ingested_at > (SELECT {{ reread_watermark('last_ingested_at') }} FROM {{ this }})
    )
{% endif %}
  ) requests
  WHERE flow_type IN (${slos.map((s) => modelText(s.flow)).join(', ')})
) classified
GROUP BY window_start, tenant_id, flow`;
  return {
    name: 'slo_request_windows',
    path,
    // Known, so that the table earlier releases built (no last_ingested_at) is built again rather than merged into.
    outputColumns: ['window_start', 'tenant_id', 'flow', 'total', 'good', 'last_ingested_at'],
    body,
    refs: [],
    sources: [['raw', 'events']],
    config: {
      materialized: 'incremental',
      uniqueKey: ['window_start', 'tenant_id', 'flow'],
      tags: ['slo'],
      description: 'API requests per five minutes, tenant and SLO flow: total, and good (answered ok, with a latency within the bound)',
      columns: {},
    },
  };
}

function status(slos: readonly Slo[]): string {
  const longest = Math.max(...slos.map((s) => s.windowDays)) * 1440;
  // Windows end at the latest five minutes with data: "now" is the data's, so a rebuild of the same events agrees.
  const since = (minutes: number) => `window_start >= latest - INTERVAL ${minutes - 5} MINUTE`;
  // Every CASE has an ELSE: ClickHouse 18 cannot store the Nullable(Nothing) a CASE without one can give.
  const inSloWindow = `CASE flow ${slos.map((s) => `WHEN ${modelText(s.flow)} THEN ${since(s.windowDays * 1440)}`).join(' ')} ELSE 1 = 0 END`;
  const sums = (suffix: string, condition: string) =>
    `sum(CASE WHEN ${condition} THEN total ELSE 0 END) AS total_${suffix},\n      sum(CASE WHEN ${condition} THEN total - good ELSE 0 END) AS bad_${suffix}`;
  const budget = `CASE slo_flow ${slos.map((s) => `WHEN ${modelText(s.flow)} THEN ${Number((1 - s.target).toFixed(10))}`).join(' ')} ELSE 1 END`;
  const name = `CASE slo_flow ${slos.map((s) => `WHEN ${modelText(s.flow)} THEN ${modelText(s.name)}`).join(' ')} ELSE '' END`;
  const windows = Object.keys(WINDOWS);
  const alerting = (severity: string) =>
    BURN_ALERTS.filter((a) => a.severity === severity)
      .map((a) => `(rate_${a.long} > ${a.factor} AND rate_${a.short} > ${a.factor})`)
      .join(' OR ');
  return `SELECT tenant_id, slo, slo_flow AS flow, evaluated_at, total_requests, bad_requests, sli, error_budget_remaining,
  ${windows.map((w) => `rate_${w} AS burn_rate_${w}`).join(', ')},
  CASE WHEN ${alerting('page')} THEN 1 ELSE 0 END AS page,
  CASE WHEN ${alerting('ticket')} THEN 1 ELSE 0 END AS ticket
FROM (
  SELECT tenant_id, ${name} AS slo, slo_flow, evaluated_at, total_slo AS total_requests, bad_slo AS bad_requests,
    -- No requests in a window: nothing failed, nothing burned.
    CASE WHEN total_slo > 0 THEN 1 - bad_slo / total_slo ELSE 1 END AS sli,
    CASE WHEN total_slo > 0 THEN 1 - (bad_slo / total_slo) / ${budget} ELSE 1 END AS error_budget_remaining,
    ${windows.map((w) => `CASE WHEN total_${w} > 0 THEN (bad_${w} / total_${w}) / ${budget} ELSE 0 END AS rate_${w}`).join(',\n    ')}
  FROM (
    SELECT tenant_id, flow AS slo_flow, latest + INTERVAL 5 MINUTE AS evaluated_at,
      ${sums('slo', inSloWindow)},
      ${windows.map((w) => sums(w, since(WINDOWS[w]!))).join(',\n      ')}
    FROM {{ ref('slo_request_windows') }} windows
    CROSS JOIN (SELECT max(window_start) AS latest FROM {{ ref('slo_request_windows') }} newest) now_row
    WHERE ${since(longest)}
    GROUP BY tenant_id, flow, latest
  ) summed
) rated`;
}
