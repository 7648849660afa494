import type { Row } from '../../../kernel/warehouse/index.ts';
import { sql, type TenantScope } from '../../tenancy/index.ts';
import { decodeCursor, encodeCursor } from '../../tenancy/index.ts';
import { Where } from '../../tenancy/index.ts';

export interface EventFilter {
  type?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

export interface EventPage {
  events: Record<string, unknown>[];
  next_cursor: string | null;
}

const ATTRIBUTE_COLUMNS = [
  ['subject', 'subject'], ['plan', 'plan'], ['feature', 'feature'], ['flowtype', 'flow_type'],
  ['slatier', 'sla_tier'], ['datacontenttype', 'data_content_type'],
] as const;

/**
 * One tenant's events in time order (then source, id), a page at a time.
 * `from` is inclusive, `to` exclusive. Events come back as CloudEvents.
 */
export async function listEvents(scope: TenantScope, filter: EventFilter): Promise<EventPage> {
  const where = new Where()
    .addIf(filter.type, 'type = ?')
    .addIf(filter.from, 'time >= ?')
    .addIf(filter.to, 'time < ?');
  if (filter.cursor) {
    const [time, source, id] = decodeCursor(filter.cursor, 3);
    const at = new Date(time!);
    where.add('(time > ? OR (time = ? AND (source > ? OR (source = ? AND id > ?))))', at, at, source!, source!, id!);
  }
  const events = scope.table('events', { deduplicated: true, where: where.toSql() });
  const rows = await scope.query(sql`SELECT * FROM ${events} ORDER BY time, source, id LIMIT ${filter.limit + 1}`);
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    events: page.map(toCloudEvent),
    next_cursor:
      rows.length > filter.limit && last
        ? encodeCursor([(last.time as Date).toISOString(), last.source as string, last.id as string])
        : null,
  };
}

export interface TypeCount {
  type: string;
  count: number;
  first_time: string;
  last_time: string;
}

/** How many events a tenant has, by type. */
export async function eventStats(scope: TenantScope): Promise<{ total: number; by_type: TypeCount[] }> {
  const rows = await scope.query(
    sql`SELECT type, count(*) AS n, min(time) AS first_time, max(time) AS last_time FROM ${scope.table('events', { deduplicated: true })}
     GROUP BY type ORDER BY type`,
  );
  const byType = rows.map((r) => ({
    type: r.type as string,
    count: Number(r.n),
    first_time: (r.first_time as Date).toISOString(),
    last_time: (r.last_time as Date).toISOString(),
  }));
  return { total: byType.reduce((sum, t) => sum + t.count, 0), by_type: byType };
}

function toCloudEvent(row: Row): Record<string, unknown> {
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: row.id,
    source: row.source,
    type: row.type,
    time: (row.time as Date).toISOString(),
    tenantid: row.tenant_id,
    policyversion: row.policy_version,
  };
  for (const [attribute, column] of ATTRIBUTE_COLUMNS) if (row[column] !== null) event[attribute] = row[column];
  Object.assign(event, JSON.parse((row.extensions as string | null) ?? '{}'));
  if (row.data !== null) event.data = JSON.parse(row.data as string);
  return event;
}
