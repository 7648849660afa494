SELECT tenant_id, count(*) AS n, max(ingested_at) AS last_ingested_at
FROM (SELECT * FROM events) e

GROUP BY tenant_id
-- incremental run:
SELECT tenant_id, count(*) AS n, max(ingested_at) AS last_ingested_at
FROM (SELECT * FROM events) e

WHERE tenant_id IN (
  SELECT tenant_id FROM (SELECT * FROM events) r
  WHERE ingested_at > (SELECT coalesce(max(last_ingested_at), TIMESTAMP '1970-01-01 00:00:00') FROM tenant_counts)
)

GROUP BY tenant_id
