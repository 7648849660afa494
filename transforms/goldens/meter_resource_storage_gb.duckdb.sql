SELECT
  date_trunc('hour', time) AS window_start,
  e.tenant_id AS tenant_id,
  coalesce(json_extract_string(data, '$.store'), '') AS dim_store,
  argMax(CASE WHEN regexp_full_match(json_extract_string(data, '$.gb'), '-?[0-9]{1,28}([.][0-9]{1,10})?') THEN CAST(json_extract_string(data, '$.gb') AS DECIMAL(38, 10)) END, e.time) AS value,
  max(e.ingested_at) AS last_ingested_at
FROM stg_events e
WHERE e.type = 'resource.storage_usage'
  AND CASE WHEN regexp_full_match(json_extract_string(data, '$.gb'), '-?[0-9]{1,28}([.][0-9]{1,10})?') THEN CAST(json_extract_string(data, '$.gb') AS DECIMAL(38, 10)) END IS NOT NULL

GROUP BY window_start, tenant_id, dim_store
-- incremental run:
SELECT
  date_trunc('hour', time) AS window_start,
  e.tenant_id AS tenant_id,
  coalesce(json_extract_string(data, '$.store'), '') AS dim_store,
  argMax(CASE WHEN regexp_full_match(json_extract_string(data, '$.gb'), '-?[0-9]{1,28}([.][0-9]{1,10})?') THEN CAST(json_extract_string(data, '$.gb') AS DECIMAL(38, 10)) END, e.time) AS value,
  max(e.ingested_at) AS last_ingested_at
FROM stg_events e
WHERE e.type = 'resource.storage_usage'
  AND CASE WHEN regexp_full_match(json_extract_string(data, '$.gb'), '-?[0-9]{1,28}([.][0-9]{1,10})?') THEN CAST(json_extract_string(data, '$.gb') AS DECIMAL(38, 10)) END IS NOT NULL

  AND date_trunc('hour', time) IN (
    SELECT DISTINCT date_trunc('hour', time) FROM stg_events arrived
    WHERE arrived.type = 'resource.storage_usage' AND arrived.ingested_at > (SELECT max(last_ingested_at) FROM meter_resource_storage_gb)
  )

GROUP BY window_start, tenant_id, dim_store
