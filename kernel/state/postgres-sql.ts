import type { ColumnType, SqlValue, TableDefinition } from '../warehouse/index.ts';

const POSTGRES_TYPES: Record<ColumnType, string> = {
  // JSON columns hold the text the stores wrote and read back as text, as on DuckDB.
  text: 'TEXT', json: 'TEXT', timestamp: 'TIMESTAMPTZ', bigint: 'BIGINT', integer: 'INTEGER', count: 'INTEGER', flag: 'INTEGER', decimal: 'NUMERIC(38,10)',
};

/** The PostgreSQL type of a registry column type. */
export function postgresType(type: ColumnType): string {
  return POSTGRES_TYPES[type];
}

/** A state table's CREATE TABLE IF NOT EXISTS on PostgreSQL, with its row checks. */
export function postgresTableSql(table: TableDefinition): string {
  const columns = table.columns.map((column) => `  ${column.name} ${POSTGRES_TYPES[column.type]}${column.nullable ? '' : ' NOT NULL'}`);
  const checks = (table.state?.checks ?? []).map((check) => `  CHECK (${check})`);
  return `CREATE TABLE IF NOT EXISTS ${table.name} (\n${[...columns, ...checks].join(',\n')}\n)`;
}

/**
 * The adapter's own table: each sequence's next free number (`StateTransaction.insertNumbered`). Its row is
 * the sequence's lock: the UPDATE that takes it hands its numbers to the insert in the same statement.
 */
export const SEQUENCES_TABLE_SQL = 'CREATE TABLE IF NOT EXISTS state_sequences (sequence_key TEXT PRIMARY KEY, next_value BIGINT NOT NULL)';

/** `?` placeholders (the stores' SQL) as PostgreSQL's `$1…$n`; a `?` inside a quoted literal or identifier is left alone. */
export function numberedPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const char of sql) {
    if (quote) {
      if (char === quote) quote = null;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else if (char === '?') {
      out += `$${++n}`;
    } else {
      out += char;
    }
  }
  return out;
}

/** A parameter as `pg` sends it: big integers as text (PostgreSQL casts them), the rest as they are. */
export function toPostgresParam(value: SqlValue): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
