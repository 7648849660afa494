-- not_null_plans_plan (warn)
SELECT count(*) AS failures FROM plans WHERE plan IS NULL;
-- accepted_values_plans_plan (error)
SELECT count(*) AS failures FROM plans WHERE plan IS NOT NULL AND plan NOT IN (?, ?, ?);
-- relationships_plans_tenant_id (error)
SELECT count(*) AS failures FROM plans WHERE tenant_id IS NOT NULL AND tenant_id NOT IN (SELECT tenant_id FROM tenants);
-- unique_plans_tenant_id (error)
SELECT count(*) AS failures FROM (SELECT tenant_id FROM plans WHERE tenant_id IS NOT NULL GROUP BY tenant_id HAVING count(*) > 1) duplicated;
