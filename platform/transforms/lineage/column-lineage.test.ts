import { describe, expect, it } from 'vitest';
import { deriveColumnLineage } from './column-lineage.ts';

const events = { namespace: 'duckdb://companyos', name: 'events', columns: ['tenant_id', 'time', 'data', 'type'] };
const direct = (field: string, subtype: string) => ({ namespace: 'duckdb://companyos', name: 'events', field, transformations: [{ type: 'DIRECT', subtype }] });

describe('column lineage from SQL', () => {
  it('traces the outer select list: identity, transformation, aggregation; literals, comments and subqueries are not read as columns', () => {
    const sql = `SELECT
      e.tenant_id,
      date_trunc('hour', time) AS window_start, -- data here is a comment
      coalesce(json_extract_string(data, '$.plan'), 'tenant_id') plan,
      count(*) AS n,
      sum(CAST(json_extract_string(data, '$.x') AS DECIMAL(38, 10))) AS total
    FROM events e WHERE type IN (SELECT type FROM events WHERE time > now()) GROUP BY 1, 2, 3`;
    expect(deriveColumnLineage(sql, [events])).toEqual({
      tenant_id: { inputFields: [direct('tenant_id', 'IDENTITY')] },
      window_start: { inputFields: [direct('time', 'TRANSFORMATION')] },
      plan: { inputFields: [direct('data', 'TRANSFORMATION')] },
      total: { inputFields: [direct('data', 'AGGREGATION')] },
    });
  });

  it('reads string literals as the engine writes them: a backslash escapes on ClickHouse, not on DuckDB', () => {
    const onClickHouse = `SELECT 'Bob\\'s DB' AS service, tenant_id, 'x' AS k FROM events`;
    const onDuckDB = `SELECT 'C:\\' AS service, tenant_id, 'x' AS k FROM events`;
    const expected = { tenant_id: { inputFields: [direct('tenant_id', 'IDENTITY')] } };
    expect(deriveColumnLineage(onClickHouse, [events], { backslashEscapes: true })).toEqual(expected);
    expect(deriveColumnLineage(onDuckDB, [events])).toEqual(expected);
  });

  it('traces through a subquery in FROM, keeping the strongest transformation', () => {
    const sql = `SELECT window_start, sum(metered) AS value FROM (
      SELECT date_trunc('hour', time) AS window_start, CAST(json_extract_string(data, '$.x') AS DECIMAL(38, 10)) AS metered FROM events
    ) inner_events GROUP BY window_start`;
    expect(deriveColumnLineage(sql, [events])).toEqual({
      window_start: { inputFields: [direct('time', 'TRANSFORMATION')] },
      value: { inputFields: [direct('data', 'AGGREGATION')] },
    });
  });

  it('maps * through, and gives nothing where the SQL has no outer select list', () => {
    expect(Object.keys(deriveColumnLineage('SELECT DISTINCT * FROM events', [events]))).toEqual(events.columns);
    expect(deriveColumnLineage('VALUES (1)', [events])).toEqual({});
  });
});
