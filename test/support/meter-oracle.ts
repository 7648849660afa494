import type { CloudEvent } from '../../kernel/schemas/index.ts';
import type { Meter } from '../../packs/metering/index.ts';

/** CloudEvent attributes a meter dimension names; other dimensions are keys of `data`. */
const ATTRIBUTES: Record<string, keyof CloudEvent> = {
  plan: 'plan', feature: 'feature', flow_type: 'flowtype', policy_version: 'policyversion', sla_tier: 'slatier', source: 'source', subject: 'subject',
};
const UNITS = 10_000_000_000n;

/**
 * A meter computed in plain TypeScript from the events themselves, as the
 * independent answer the built meter tables are checked against: one line per
 * (window, tenant, dimensions), `window|tenant|dims…|value`, values in
 * ten-billionths so decimals compare exactly.
 */
export function expectedMeterRows(meter: Meter, events: readonly CloudEvent[]): string[] {
  const groups = new Map<string, CloudEvent[]>();
  for (const event of events) {
    if (event.type !== meter.eventType) continue;
    if (meter.aggregation !== 'COUNT' && meter.aggregation !== 'UNIQUE_COUNT' && toNanos(dataField(event, meter.value!)) === null) continue;
    const dims = meter.groupBy.map((d) => (d in ATTRIBUTES ? String(event[ATTRIBUTES[d]!] ?? '') : dataField(event, d)));
    const key = [windowStart(event.time!, meter.window), event.tenantid, ...dims].join('|');
    groups.set(key, [...(groups.get(key) ?? []), event]);
  }
  return [...groups].map(([key, group]) => `${key}|${aggregate(meter, group)}`).sort();
}

/** The rows of a built meter table in the same line format. */
export function meterRowLines(meter: Meter, rows: Record<string, unknown>[]): string[] {
  return rows
    .map((r) => [(r.window_start as Date).toISOString(), r.tenant_id, ...meter.groupBy.map((d) => r[`dim_${d}`]), toNanos(String(r.value))].join('|'))
    .sort();
}

function aggregate(meter: Meter, group: CloudEvent[]): bigint {
  const values = group.map((e) => toNanos(dataField(e, meter.value ?? ''))!);
  switch (meter.aggregation) {
    case 'COUNT':
      return BigInt(group.length) * UNITS;
    case 'UNIQUE_COUNT':
      return BigInt(new Set(group.map((e) => dataField(e, meter.value!))).size) * UNITS;
    case 'SUM':
      return values.reduce((a, b) => a + b, 0n);
    case 'MAX':
      return values.reduce((a, b) => (b > a ? b : a));
    case 'LATEST': {
      const latest = group.reduce((a, b) => (Date.parse(b.time!) > Date.parse(a.time!) ? b : a));
      return toNanos(dataField(latest, meter.value!))!;
    }
  }
}

function dataField(event: CloudEvent, key: string): string {
  const value = (event.data as Record<string, unknown> | undefined)?.[key];
  return value === undefined || value === null ? '' : String(value);
}

function toNanos(text: string): bigint | null {
  const match = /^(-?)(\d+)(?:\.(\d{1,10}))?$/.exec(text);
  if (!match) return null;
  const units = BigInt(match[2]!) * UNITS + BigInt((match[3] ?? '').padEnd(10, '0'));
  return match[1] ? -units : units;
}

function windowStart(time: string, window: Meter['window']): string {
  const t = new Date(time);
  const parts = [t.getUTCFullYear(), t.getUTCMonth(), window === 'month' ? 1 : t.getUTCDate(), window === 'hour' ? t.getUTCHours() : 0] as const;
  return new Date(Date.UTC(parts[0], parts[1], parts[2], parts[3])).toISOString();
}
