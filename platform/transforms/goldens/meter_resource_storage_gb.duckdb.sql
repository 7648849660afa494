SELECT
  window_start,
  tenant_id,
  dim_store,
  argMax(metered, CASE WHEN metered IS NOT NULL THEN time END) AS value,
  max(ingested_at) AS last_ingested_at,
  max(CASE WHEN metered IS NOT NULL THEN time END) AS latest_at
FROM (
  SELECT
    date_trunc('hour', time) AS window_start,
    e.tenant_id AS tenant_id,
    coalesce(json_extract_string(data, '$.store'), '') AS dim_store,
    CASE WHEN regexp_full_match(json_extract_string(data, '$.gb'), '-?[0-9]{1,18}([.][0-9]{1,10})?') THEN coalesce(TRY_CAST(json_extract_string(data, '$.gb') AS DECIMAL(18, 10)), TRY_CAST(json_extract_string(data, '$.gb') AS DECIMAL(38, 10))) END AS metered,
    e.time AS time,
    e.ingested_at AS ingested_at
  FROM events AS e WHERE e.type = 'resource.storage_usage'
) events_of_type
GROUP BY window_start, tenant_id, dim_store
HAVING count(metered) > 0
-- incremental run:
WITH arrived AS (
SELECT
  window_start,
  tenant_id,
  dim_store,
  argMax(metered, CASE WHEN metered IS NOT NULL THEN time END) AS value,
  max(ingested_at) AS last_ingested_at,
  max(CASE WHEN metered IS NOT NULL THEN time END) AS latest_at
FROM (
  SELECT
    date_trunc('hour', time) AS window_start,
    e.tenant_id AS tenant_id,
    coalesce(json_extract_string(data, '$.store'), '') AS dim_store,
    CASE WHEN regexp_full_match(json_extract_string(data, '$.gb'), '-?[0-9]{1,18}([.][0-9]{1,10})?') THEN coalesce(TRY_CAST(json_extract_string(data, '$.gb') AS DECIMAL(18, 10)), TRY_CAST(json_extract_string(data, '$.gb') AS DECIMAL(38, 10))) END AS metered,
    e.time AS time,
    e.ingested_at AS ingested_at
  FROM events AS e WHERE e.type = 'resource.storage_usage' AND e.ingested_at > (SELECT coalesce(max(last_ingested_at), TIMESTAMP '1970-01-01 00:00:00') FROM meter_resource_storage_gb)
) events_of_type
GROUP BY window_start, tenant_id, dim_store
HAVING count(metered) > 0
)
SELECT window_start, tenant_id, dim_store, argMax(value, latest_at) AS value, max(last_ingested_at) AS last_ingested_at, max(latest_at) AS latest_at
FROM (
  SELECT window_start, tenant_id, dim_store, value, last_ingested_at, latest_at FROM arrived
  UNION ALL
  SELECT window_start, tenant_id, dim_store, value, last_ingested_at, latest_at FROM meter_resource_storage_gb built
  WHERE window_start BETWEEN (SELECT min(window_start) FROM arrived) AND (SELECT max(window_start) FROM arrived)
    AND (window_start, tenant_id, dim_store) IN (SELECT window_start, tenant_id, dim_store FROM arrived)
) folded
GROUP BY window_start, tenant_id, dim_store
