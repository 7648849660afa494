SELECT e.tenant_id AS tenant_id, e.type AS type, e.time AS time, e.ingested_at AS ingested_at, e.data AS data FROM events AS e WHERE 1 = 0
-- incremental run:
SELECT e.tenant_id AS tenant_id, e.type AS type, e.time AS time, e.ingested_at AS ingested_at, e.data AS data FROM events AS e WHERE 1 = 0
