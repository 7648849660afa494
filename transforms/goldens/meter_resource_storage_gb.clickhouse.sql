SELECT
  toStartOfHour(time) AS window_start,
  e.tenant_id AS tenant_id,
  visitParamExtractString(ifNull(data, ''), 'store') AS dim_store,
  argMax(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), toDecimal128(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '0'), 10), NULL), e.time) AS value,
  max(e.ingested_at) AS last_ingested_at
FROM stg_events e
WHERE e.type = 'resource.storage_usage'
  AND if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), toDecimal128(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '0'), 10), NULL) IS NOT NULL

GROUP BY window_start, tenant_id, dim_store
-- incremental run:
SELECT
  toStartOfHour(time) AS window_start,
  e.tenant_id AS tenant_id,
  visitParamExtractString(ifNull(data, ''), 'store') AS dim_store,
  argMax(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), toDecimal128(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '0'), 10), NULL), e.time) AS value,
  max(e.ingested_at) AS last_ingested_at
FROM stg_events e
WHERE e.type = 'resource.storage_usage'
  AND if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), toDecimal128(if(match(replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '^-?[0-9]{1,28}([.][0-9]{1,10})?$'), replaceAll(visitParamExtractRaw(ifNull(data, ''), 'gb'), '"', ''), '0'), 10), NULL) IS NOT NULL

  AND toStartOfHour(time) IN (
    SELECT DISTINCT toStartOfHour(time) FROM stg_events arrived
    WHERE arrived.type = 'resource.storage_usage' AND arrived.ingested_at > (SELECT max(last_ingested_at) FROM meter_resource_storage_gb)
  )

GROUP BY window_start, tenant_id, dim_store
