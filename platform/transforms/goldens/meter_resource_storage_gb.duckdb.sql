SELECT
  window_start,
  tenant_id,
  dim_store,
  argMax(metered, CASE WHEN metered IS NOT NULL THEN time END) AS value,
  max(ingested_at) AS last_ingested_at
FROM (
  SELECT
    date_trunc('hour', time) AS window_start,
    e.tenant_id AS tenant_id,
    coalesce(json_extract_string(data, '$.store'), '') AS dim_store,
    CASE WHEN regexp_full_match(json_extract_string(data, '$.gb'), '-?[0-9]{1,28}([.][0-9]{1,10})?') THEN coalesce(TRY_CAST(json_extract_string(data, '$.gb') AS DECIMAL(18, 10)), TRY_CAST(json_extract_string(data, '$.gb') AS DECIMAL(38, 10))) END AS metered,
    e.time AS time,
    e.ingested_at AS ingested_at
  FROM events AS e WHERE e.type = 'resource.storage_usage'

) events_of_type
GROUP BY window_start, tenant_id, dim_store
HAVING count(metered) > 0
-- incremental run:
SELECT
  window_start,
  tenant_id,
  dim_store,
  argMax(metered, CASE WHEN metered IS NOT NULL THEN time END) AS value,
  max(ingested_at) AS last_ingested_at
FROM (
  SELECT
    date_trunc('hour', time) AS window_start,
    e.tenant_id AS tenant_id,
    coalesce(json_extract_string(data, '$.store'), '') AS dim_store,
    CASE WHEN regexp_full_match(json_extract_string(data, '$.gb'), '-?[0-9]{1,28}([.][0-9]{1,10})?') THEN coalesce(TRY_CAST(json_extract_string(data, '$.gb') AS DECIMAL(18, 10)), TRY_CAST(json_extract_string(data, '$.gb') AS DECIMAL(38, 10))) END AS metered,
    e.time AS time,
    e.ingested_at AS ingested_at
  FROM events AS e WHERE e.type = 'resource.storage_usage'

    AND (date_trunc('hour', time), e.tenant_id) IN (
      SELECT DISTINCT date_trunc('hour', time), tenant_id FROM events arrived
      WHERE arrived.type = 'resource.storage_usage' AND arrived.ingested_at > (SELECT coalesce(max(last_ingested_at), TIMESTAMP '1970-01-01 00:00:00') FROM meter_resource_storage_gb)
    )

) events_of_type
GROUP BY window_start, tenant_id, dim_store
HAVING count(metered) > 0
