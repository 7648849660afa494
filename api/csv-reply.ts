import type { FastifyReply, FastifyRequest } from 'fastify';

/** Whether the client asked for CSV (`Accept: text/csv`). */
export function wantsCsv(request: FastifyRequest): boolean {
  return /\btext\/csv\b/.test(request.headers.accept ?? '');
}

/** RFC 4180 CSV of `rows`, columns in the first row's key order. */
export function toCsv(rows: readonly Record<string, unknown>[]): string {
  if (!rows.length) return '';
  const columns = Object.keys(rows[0]!);
  const field = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [columns.join(','), ...rows.map((row) => columns.map((c) => field(row[c])).join(','))].join('\r\n') + '\r\n';
}

/** Answers with `body` as JSON, or its table `rows` as CSV when the client asked for CSV. */
export function replyTable<T>(request: FastifyRequest, reply: FastifyReply, body: T, rows: readonly Record<string, unknown>[], name: string): T | string {
  if (!wantsCsv(request)) return body;
  void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`);
  return toCsv(rows);
}
