import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../../platform/ingest/validate-event.ts';
import { TENANT_ZERO, TENANT_ZERO_TYPES, tenantZeroWeek } from './tenant-zero.ts';

describe('tenant zero seed', () => {
  const end = new Date('2026-11-22T10:00:00Z');
  const events = tenantZeroWeek(end);

  it('is a week of valid, distinct summit-internal events of every Tenant Zero type', () => {
    expect(events.length).toBeGreaterThan(5_000);
    expect(events.every((e) => validateEvent(e).ok && e.tenantid === TENANT_ZERO)).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(TENANT_ZERO_TYPES));
    const times = events.map((e) => Date.parse(e.time!));
    expect(Math.max(...times)).toBeLessThanOrEqual(end.getTime());
    expect(Math.min(...times)).toBeGreaterThanOrEqual(end.getTime() - 7 * 86_400_000 - 3_600_000);
  });

  it('is the same for the same seed and differs for another', () => {
    expect(tenantZeroWeek(end)).toEqual(events);
    expect(tenantZeroWeek(end, 1)).not.toEqual(events);
  });

  it('carries amounts as decimal strings', () => {
    const cpu = events.find((e) => e.type === 'resource.cpu_usage')!;
    expect((cpu.data as { cpu_seconds: unknown }).cpu_seconds).toMatch(/^\d+\.\d{3}$/);
  });

  it('generates no RevOps events: the demo drives real leads and quotes through the pack', () => {
    expect(events.filter((e) => e.type.startsWith('revops.'))).toEqual([]);
  });
});
