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
    visitParamExtractString(ifNull(data, ''), 'service') AS dim_service,
    if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), toDecimal128(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '0'), 10), NULL) AS metered,
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
    visitParamExtractString(ifNull(data, ''), 'service') AS dim_service,
    if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), toDecimal128(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), replaceAll(visitParamExtractRaw(ifNull(data, ''), 'cpu_seconds'), '"', ''), '0'), 10), NULL) AS metered,
    e.time AS time,
    e.ingested_at AS ingested_at
  FROM events AS e FINAL PREWHERE e.type = 'resource.cpu_usage'

    AND (toStartOfHour(time), e.tenant_id) IN (
      SELECT DISTINCT toStartOfHour(time), tenant_id FROM events arrived
      WHERE arrived.type = 'resource.cpu_usage' AND arrived.ingested_at > (SELECT (greatest(max(last_ingested_at), toDateTime(3600)) - 3600) FROM meter_resource_cpu_seconds)
    )

) events_of_type
GROUP BY window_start, tenant_id, dim_service
HAVING count(metered) > 0
