import { sql, type TenantScope } from '../../tenancy/index.ts';
import { decodeCursor, encodeCursor } from '../../tenancy/index.ts';
import { Where } from '../../tenancy/index.ts';

export interface QuarantineFilter {
  reason?: string;
  limit: number;
  cursor?: string;
}

export type ParkedEvent = {
  quarantine_id: string;
  received_at: string;
  channel: string;
  batch_index: number | null;
  event_id: string | null;
  event_source: string | null;
  reason_code: string;
  reason_text: string;
  payload: string;
};

/** One tenant's parked events, newest first, with the reason each was refused. */
export async function listQuarantine(scope: TenantScope, filter: QuarantineFilter): Promise<{ items: ParkedEvent[]; next_cursor: string | null }> {
  const where = new Where().addIf(filter.reason, 'reason_code = ?');
  if (filter.cursor) {
    const [receivedAt, id] = decodeCursor(filter.cursor, 2);
    const at = new Date(receivedAt!);
    where.add('(received_at < ? OR (received_at = ? AND quarantine_id < ?))', at, at, id!);
  }
  const rows = await scope.query(
    sql`SELECT quarantine_id, received_at, channel, batch_index, event_id, event_source, reason_code, reason_text, payload
     FROM ${scope.table('events_quarantine', { where: where.toSql() })} ORDER BY received_at DESC, quarantine_id DESC LIMIT ${filter.limit + 1}`,
  );
  const items = rows.slice(0, filter.limit).map((r) => ({
    ...(r as unknown as ParkedEvent),
    received_at: (r.received_at as Date).toISOString(),
  }));
  const last = items.at(-1);
  return {
    items,
    next_cursor: rows.length > filter.limit && last ? encodeCursor([last.received_at, last.quarantine_id]) : null,
  };
}
