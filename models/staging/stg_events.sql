/*---
materialized: view
tags: [staging]
description: Accepted events, deduplicated, with the attributes meters group by.
columns:
  tenant_id: { description: Tenant the event belongs to., tests: [not_null] }
  type: { tests: [not_null] }
---*/
SELECT
  tenant_id,
  source,
  id,
  type,
  time,
  subject,
  policy_version,
  plan,
  feature,
  flow_type,
  sla_tier,
  data,
  ingested_at
FROM {{ source('raw', 'events') }} raw_events
