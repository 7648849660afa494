SELECT
  window_start,
  tenant_id,
  dim_service,
  sum(metered) AS value,
  max(ingested_at) AS last_ingested_at
FROM (
  SELECT
    toStartOfHour(time) AS window_start,
    e.tenant_id AS tenant_id,
    multiIf(substring(visitParamExtractRaw(ifNull(data, ''), 'service'), 1, 1) = '"', visitParamExtractString(ifNull(data, ''), 'service'), visitParamExtractRaw(ifNull(data, ''), 'service') = 'null', '', visitParamExtractRaw(ifNull(data, ''), 'service')) AS dim_service,
    if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,18}([.][0-9]{1,10})?$'), toDecimal128(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,18}([.][0-9]{1,10})?$'), replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '0'), 10), NULL) AS metered,
    e.time AS time,
    e.ingested_at AS ingested_at
  FROM events AS e FINAL PREWHERE e.type = 'resource.cpu_usage'
) events_of_type
GROUP BY window_start, tenant_id, dim_service
HAVING count(metered) > 0
-- incremental run:
SELECT
  window_start,
  tenant_id,
  dim_service,
  sum(metered) AS value,
  max(ingested_at) AS last_ingested_at
FROM (
  SELECT
    toStartOfHour(time) AS window_start,
    e.tenant_id AS tenant_id,
    multiIf(substring(visitParamExtractRaw(ifNull(data, ''), 'service'), 1, 1) = '"', visitParamExtractString(ifNull(data, ''), 'service'), visitParamExtractRaw(ifNull(data, ''), 'service') = 'null', '', visitParamExtractRaw(ifNull(data, ''), 'service')) AS dim_service,
    if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,18}([.][0-9]{1,10})?$'), toDecimal128(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,18}([.][0-9]{1,10})?$'), replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '0'), 10), NULL) AS metered,
    e.time AS time,
    e.ingested_at AS ingested_at
  FROM meter_touched_events AS e WHERE e.type = 'resource.cpu_usage'
    AND (SELECT (greatest(max(ingested_at), toDateTime(10800)) - 10800) FROM meter_touched_events) <= (SELECT (greatest(max(last_ingested_at), toDateTime(3600)) - 3600) FROM meter_resource_cpu_seconds)
    AND (SELECT max(ingested_at) FROM meter_touched_events) >= (SELECT max(last_ingested_at) FROM meter_resource_cpu_seconds)
    AND (toStartOfHour(time), e.tenant_id) IN (
      SELECT DISTINCT toStartOfHour(time), tenant_id FROM meter_touched_events arrived
      WHERE arrived.type = 'resource.cpu_usage' AND arrived.ingested_at > (SELECT (greatest(max(last_ingested_at), toDateTime(3600)) - 3600) FROM meter_resource_cpu_seconds)
    )
  UNION ALL
  SELECT
    toStartOfHour(time) AS window_start,
    e.tenant_id AS tenant_id,
    multiIf(substring(visitParamExtractRaw(ifNull(data, ''), 'service'), 1, 1) = '"', visitParamExtractString(ifNull(data, ''), 'service'), visitParamExtractRaw(ifNull(data, ''), 'service') = 'null', '', visitParamExtractRaw(ifNull(data, ''), 'service')) AS dim_service,
    if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,18}([.][0-9]{1,10})?$'), toDecimal128(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,18}([.][0-9]{1,10})?$'), replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '0'), 10), NULL) AS metered,
    e.time AS time,
    e.ingested_at AS ingested_at
  FROM events AS e FINAL PREWHERE e.type = 'resource.cpu_usage'
    AND e.time >= if((SELECT (greatest(max(ingested_at), toDateTime(10800)) - 10800) FROM meter_touched_events) <= (SELECT (greatest(max(last_ingested_at), toDateTime(3600)) - 3600) FROM meter_resource_cpu_seconds)
    AND (SELECT max(ingested_at) FROM meter_touched_events) >= (SELECT max(last_ingested_at) FROM meter_resource_cpu_seconds), toDateTime(4294967295, 'UTC'), toDateTime(0, 'UTC'))
    AND e.time <= if((SELECT (greatest(max(ingested_at), toDateTime(10800)) - 10800) FROM meter_touched_events) <= (SELECT (greatest(max(last_ingested_at), toDateTime(3600)) - 3600) FROM meter_resource_cpu_seconds)
    AND (SELECT max(ingested_at) FROM meter_touched_events) >= (SELECT max(last_ingested_at) FROM meter_resource_cpu_seconds), toDateTime(0, 'UTC'), toDateTime(4294967295, 'UTC'))
    AND (toStartOfHour(time), e.tenant_id) IN (
      SELECT DISTINCT toStartOfHour(time), tenant_id FROM events arrived
      WHERE arrived.type = 'resource.cpu_usage' AND arrived.ingested_at > (SELECT (greatest(max(last_ingested_at), toDateTime(3600)) - 3600) FROM meter_resource_cpu_seconds)
        AND arrived.time >= if((SELECT (greatest(max(ingested_at), toDateTime(10800)) - 10800) FROM meter_touched_events) <= (SELECT (greatest(max(last_ingested_at), toDateTime(3600)) - 3600) FROM meter_resource_cpu_seconds)
    AND (SELECT max(ingested_at) FROM meter_touched_events) >= (SELECT max(last_ingested_at) FROM meter_resource_cpu_seconds), toDateTime(4294967295, 'UTC'), toDateTime(0, 'UTC'))
        AND arrived.time <= if((SELECT (greatest(max(ingested_at), toDateTime(10800)) - 10800) FROM meter_touched_events) <= (SELECT (greatest(max(last_ingested_at), toDateTime(3600)) - 3600) FROM meter_resource_cpu_seconds)
    AND (SELECT max(ingested_at) FROM meter_touched_events) >= (SELECT max(last_ingested_at) FROM meter_resource_cpu_seconds), toDateTime(0, 'UTC'), toDateTime(4294967295, 'UTC'))
    )
) events_of_type
GROUP BY window_start, tenant_id, dim_service
HAVING count(metered) > 0
