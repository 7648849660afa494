import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCsv } from '../../../platform/ingest/index.ts';

/** Whether the client asked for CSV (`Accept: text/csv`). */
export function wantsCsv(request: FastifyRequest): boolean {
  return /\btext\/csv\b/.test(request.headers.accept ?? '');
}

/** Answers with `body` as JSON, or its table `rows` as CSV when the client asked for CSV. */
export function replyTable<T>(request: FastifyRequest, reply: FastifyReply, body: T, rows: readonly object[], name: string): T | string {
  if (!wantsCsv(request)) return body;
  void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`);
  return toCsv(rows);
}
