import { stringify, type Options } from 'csv-stringify/sync';

/**
 * Leading characters that make a spreadsheet read a cell as a formula (OWASP,
 * "CSV Injection"): = + - @ tab and carriage return, and the full-width = + - @
 * that Apple Numbers reads the same way.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * A plain decimal number as the warehouse returns DECIMAL and out-of-range
 * integer values (`-12.50`, `42`): written as is, never neutralized. Anything
 * else that starts with `-` (`-1e5`, `- 12`, `-.5`) is text.
 */
const DECIMAL_NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

/** A text cell a spreadsheet would run as a formula, prefixed with ' (shown as text, never evaluated) and quoted. */
function text(value: string): string | { value: string; quoted: boolean } {
  if (!FORMULA_START.test(value) || DECIMAL_NUMBER.test(value)) return value;
  return { value: `'${value}`, quoted: true };
}

const CAST: Options['cast'] = {
  string: (value) => text(value),
  number: (value) => String(value),
  bigint: (value) => value.toString(),
  boolean: (value) => String(value),
  date: (value) => (Number.isNaN(value.getTime()) ? '' : value.toISOString()),
  object: (value) => text(JSON.stringify(value)),
};

/**
 * The project's one CSV writer (csv-stringify): RFC 4180 with CRLF line ends,
 * `columns` (or the first row's keys) as the header. Safe to open in a
 * spreadsheet: a text cell starting with = + - @ tab or CR is written as
 * `"'=…"`; numbers stay numbers — JS numbers, bigints and decimal strings such
 * as a negative cost `-12.50`. Dates are ISO 8601 (`toISOString()`); null and
 * undefined are empty.
 *
 * @example toCsv([{ service: '=HYPERLINK("http://x")', cost: '-12.50' }])
 * // service,cost\r\n"'=HYPERLINK(""http://x"")",-12.50\r\n
 */
export function toCsv(rows: readonly object[], columns?: readonly string[]): string {
  if (!rows.length && !columns) return '';
  const header = columns ?? Object.keys(rows[0]!);
  // Rows go in as arrays: csv-stringify would read an object key with a dot in it as a path.
  const records = (rows as readonly Record<string, unknown>[]).map((row) => header.map((column) => row[column]));
  return stringify(records, {
    header: true,
    columns: [...header],
    record_delimiter: '\r\n',
    cast: CAST,
  });
}
