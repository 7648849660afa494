import { WarehouseError } from '../errors.ts';
import { scanSql } from '../sql-statements.ts';
import type { SqlValue } from '../warehouse.ts';

/*
 * Debian's ClickHouse (18.16) has no server-side query parameters, so values
 * reach SQL as literals. Every one goes through `toClickHouseLiteral`; names go
 * through `assertIdentifier`. Nothing else builds SQL from data.
 */

const LITERAL_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A quoted ClickHouse string literal that reads back as exactly `text`. */
export function quoteString(text: string): string {
  return `'${text.replace(/[\\'\0\n\r\t\b\f]/g, (ch) => LITERAL_ESCAPES[ch]!)}'`;
}

/** `2026-11-22 10:00:05`: how ClickHouse reads and writes a UTC DateTime (second precision). */
export function formatDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new WarehouseError('cannot write an invalid date');
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export function toClickHouseLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new WarehouseError(`cannot bind ${value} as a SQL value`);
    return String(value);
  }
  return `toDateTime(${quoteString(formatDateTime(value))}, 'UTC')`;
}

/** Replaces each `?` outside literals, quoted names and comments with the next value as a literal. */
export function bindParams(sql: string, params: readonly SqlValue[]): string {
  if (params.length === 0) return sql;
  let bound = '';
  let next = 0;
  scanSql(sql, {
    code: (text) => {
      bound += text.replace(/\?/g, () => {
        if (next >= params.length) throw new WarehouseError(`the SQL has more ? than the ${params.length} values given`);
        return toClickHouseLiteral(params[next++]!);
      });
    },
    quoted: (text) => {
      bound += text;
    },
  });
  if (next !== params.length) throw new WarehouseError(`the SQL has ${next} ? but ${params.length} values were given`);
  return bound;
}

const TSV_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
};
const TSV_UNESCAPES: Record<string, string> = {
  '\\': '\\', t: '\t', n: '\n', r: '\r', '0': '\0', b: '\b', f: '\f', "'": "'", a: '\x07', v: '\v',
};

/** One TabSeparated field, as ClickHouse reads it. */
export function toTsvField(value: SqlValue): string {
  if (value === null) return '\\N';
  if (value instanceof Date) return formatDateTime(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string') return value.replace(/[\\\t\n\r\0\b\f]/g, (ch) => TSV_ESCAPES[ch]!);
  return String(value);
}

export function unescapeTsv(field: string): string {
  return field.includes('\\') ? field.replace(/\\(.)/gs, (_, ch: string) => TSV_UNESCAPES[ch] ?? ch) : field;
}

/** A TabSeparated field read back into the JS shape every engine agrees on (see `Row`). */
export function fromTsvField(field: string, type: string): SqlValue {
  if (type.startsWith('Nullable(')) return field === '\\N' ? null : fromTsvField(field, type.slice(9, -1));
  if (type.startsWith('LowCardinality(')) return fromTsvField(field, type.slice(15, -1));
  if (type.startsWith('DateTime')) return new Date(`${field.replace(' ', 'T')}Z`);
  if (/^U?Int(8|16|32|64|128|256)$/.test(type)) {
    const n = Number(field);
    return Number.isSafeInteger(n) ? n : field;
  }
  if (type.startsWith('Float')) return field === 'nan' ? Number.NaN : field === 'inf' ? Infinity : field === '-inf' ? -Infinity : Number(field);
  if (type.startsWith('Decimal')) return field;
  return unescapeTsv(field);
}

/** Parses `TabSeparatedWithNamesAndTypes` output into rows. */
export function parseTsvWithTypes(text: string): Record<string, SqlValue>[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length < 2) return [];
  const names = lines[0]!.split('\t').map(unescapeTsv);
  const types = lines[1]!.split('\t').map(unescapeTsv);
  return lines.slice(2).map((line) => {
    const fields = line.split('\t');
    const row: Record<string, SqlValue> = {};
    for (let i = 0; i < names.length; i++) row[names[i]!] = fromTsvField(fields[i] ?? '', types[i]!);
    return row;
  });
}
