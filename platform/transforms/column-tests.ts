import { assertIdentifier, type SqlValue } from '../../kernel/warehouse/index.ts';
import type { ColumnTest, ModelFile } from './model-file.ts';

export interface TestQuery {
  /** dbt-style name, e.g. `not_null_stg_events_tenant_id`. */
  name: string;
  severity: ColumnTest['severity'];
  /** The column and the test declared on it, for the manifest's test nodes. */
  column: string;
  test: ColumnTest;
  /** Returns one row, `failures`: how many rows break the test. */
  sql: string;
  params: SqlValue[];
}

/**
 * The queries behind a model's generic column tests. `relation` says how to
 * read a model (deduplicated where rows are merged later).
 */
export function columnTestQueries(model: ModelFile, relation: (name: string) => string): TestQuery[] {
  const from = relation(model.name);
  return Object.entries(model.config.columns).flatMap(([column, { tests }]) =>
    tests.map((test) => {
      const col = assertIdentifier(column);
      const name = `${test.name}_${model.name}_${column}`;
      const query = (sql: string, params: SqlValue[] = []): TestQuery => ({ name, severity: test.severity, column, test, sql, params });
      switch (test.name) {
        case 'not_null':
          return query(`SELECT count(*) AS failures FROM ${from} WHERE ${col} IS NULL`);
        case 'unique':
          return query(
            `SELECT count(*) AS failures FROM (SELECT ${col} FROM ${from} WHERE ${col} IS NOT NULL GROUP BY ${col} HAVING count(*) > 1) duplicated`,
          );
        case 'accepted_values': {
          const values = test.values ?? [];
          return query(
            `SELECT count(*) AS failures FROM ${from} WHERE ${col} IS NOT NULL AND ${col} NOT IN (${values.map(() => '?').join(', ')})`,
            values,
          );
        }
        case 'relationships':
          return query(
            `SELECT count(*) AS failures FROM ${from} WHERE ${col} IS NOT NULL AND ${col} NOT IN (SELECT ${assertIdentifier(test.field!)} FROM ${relation(test.to!)})`,
          );
      }
    }),
  );
}

/** A test query with its `?` parameters written in as SQL literals: for reading (artifacts), never for running. */
export function inlineParams(sql: string, params: readonly SqlValue[]): string {
  let next = 0;
  return sql.replace(/\?/g, () => {
    const value = params[next++];
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
    if (value instanceof Date) return `'${value.toISOString()}'`;
    return String(value);
  });
}
