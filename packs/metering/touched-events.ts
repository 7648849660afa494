import { TIME_UNITS, type TimeUnit } from '../../kernel/warehouse/index.ts';
import { modelText, type ModelFile } from '../../platform/transforms/index.ts';
import type { Meter } from './meters.ts';

/** The model the meters read what arrived from where a build recomputes what arrivals touch (ClickHouse). */
export const TOUCHED_EVENTS_MODEL = 'meter_touched_events';
/**
 * How far back from the newest stamp of a metered type the touched events reach: a meter whose newest counted stamp
 * is further back than this less `reread_watermark`'s hour reads the events itself.
 */
export const TOUCHED_LOOKBACK_SECONDS = 3 * 3600;

/**
 * One read of the events per build instead of one per meter: the deduplicated events of every (event type, window,
 * tenant) an event stamped in the last `TOUCHED_LOOKBACK_SECONDS` fell in (the widest window a meter of that type
 * has: hour windows lie inside day ones), which every recomputing meter then picks its own pairs from. A meter on
 * ClickHouse reads most of the events to recompute its pairs, whatever their number (its type is spread over every
 * tenant's rows, and a late event anywhere touches a granule), so twelve meters read the events twelve times.
 * Where rows are stored once (DuckDB) meters fold what arrived and it holds nothing; so does a full refresh. The reach
 * is measured from the newest event of a metered type, the newest stamp the table then holds, which is what each
 * meter compares its own watermark with. It is built in every run that builds a meter reading it
 * (`builtWithReaders`): one read earlier than a meter's last build could take back what that build counted.
 */
export function touchedEventsModel(recomputing: readonly Meter[], dimensionColumns: readonly string[], path: string): ModelFile {
  const widest = new Map<string, TimeUnit>();
  for (const meter of recomputing) {
    const before = widest.get(meter.eventType);
    if (before === undefined || TIME_UNITS.indexOf(meter.window) > TIME_UNITS.indexOf(before)) widest.set(meter.eventType, meter.window);
  }
  const byWindow = TIME_UNITS.map((unit) => [unit, [...widest].filter(([, w]) => w === unit).map(([type]) => modelText(type))] as const).filter(([, types]) => types.length);
  const cell = byWindow.length === 1
    ? `{{ time_window('${byWindow[0]![0]}', 'time') }}`
    : `CASE ${byWindow.slice(0, -1).map(([unit, types]) => `WHEN type IN (${types.join(', ')}) THEN {{ time_window('${unit}', 'time') }}`).join(' ')} ELSE {{ time_window('${byWindow.at(-1)![0]}', 'time') }} END`;
  const columns = ['tenant_id', 'type', 'time', 'ingested_at', 'data', ...dimensionColumns];
  const select = `SELECT ${columns.map((c) => `e.${c} AS ${c}`).join(', ')}`;
  const types = [...widest.keys()].map(modelText).join(', ');
  // A full refresh rebuilds the meters from the events: it needs none.
  const body = `{% if not unique_rows() and not full_refresh() %}
${select}
FROM {{ deduplicated_where_sort_key('events', 'e') }} (e.type, ${cell}, e.tenant_id) IN (
  SELECT DISTINCT type, ${cell}, tenant_id FROM {{ raw_rows('events') }} arrived
  WHERE arrived.type IN (${types})
    AND arrived.ingested_at > (SELECT {{ watermark_before('ingested_at', '${TOUCHED_LOOKBACK_SECONDS}') }} FROM {{ raw_rows('events') }} newest WHERE newest.type IN (${types}))
)
{% else %}
${select} FROM {{ raw_rows('events') }} AS e WHERE 1 = 0
{% endif %}`;
  return {
    name: TOUCHED_EVENTS_MODEL,
    path,
    outputColumns: columns,
    body,
    refs: [],
    sources: [['raw', 'events']],
    config: {
      materialized: 'table',
      uniqueKey: [],
      tags: ['meters'],
      description: `The events of every (type, window, tenant) an event stamped in the last ${TOUCHED_LOOKBACK_SECONDS / 3600} hours fell in, that the meters recompute from (ClickHouse; empty where meters fold what arrived)`,
      columns: {},
      builtWithReaders: true,
    },
  };
}
