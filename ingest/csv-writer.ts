/** RFC 4180 CSV of `rows` (CRLF line ends), with `columns`, or the first row's keys, as the header. */
export function toCsv(rows: readonly object[], columns?: readonly string[]): string {
  if (!rows.length && !columns) return '';
  const header = columns ?? Object.keys(rows[0]!);
  const field = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const values = rows as readonly Record<string, unknown>[];
  return [header.join(','), ...values.map((row) => header.map((c) => field(row[c])).join(','))].join('\r\n') + '\r\n';
}
