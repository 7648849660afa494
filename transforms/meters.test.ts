import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IngestPipeline, tenantZeroWeek } from '../ingest/index.ts';
import { TEST_ENGINES, useWarehouse } from '../test/support/engines.ts';
import { compileProject } from './compile-project.ts';
import { meterModelName, parseMeters } from './meters.ts';
import { RAW_SOURCES } from './raw-sources.ts';
import { runProject } from './run-project.ts';

const MODELS = fileURLToPath(new URL('../models/', import.meta.url));

describe.each(TEST_ENGINES)('the shipped meters on %s', (engine) => {
  const db = useWarehouse(engine);

  it('total exactly what the raw events hold, per tenant, and count a late event in the next run', { timeout: 60_000 }, async () => {
    const pipeline = new IngestPipeline(db.warehouse);
    const week = tenantZeroWeek(new Date('2026-11-22T10:00:00Z')).slice(0, 3000);
    const otherTenant = week.slice(0, 300).map((e) => ({ ...e, tenantid: 'acme' }));
    await pipeline.ingest([...week, ...otherTenant], { channel: 'seed', submitter: 'summit-internal', receivedAt: new Date('2026-11-22T10:00:00Z') });
    const project = await compileProject(MODELS, RAW_SOURCES);
    const { meters } = parseMeters('meters.yaml', await import('node:fs/promises').then((fs) => fs.readFile(`${MODELS}meters.yaml`, 'utf8')));
    const first = await runProject(db.warehouse, project);
    expect(first.filter((r) => r.status !== 'success')).toEqual([]);

    const totals = async (type: string) => {
      const table = db.warehouse.dialect.deduplicated(meterModelName(meters.find((m) => m.eventType === type)!));
      const metered = await db.warehouse.query<{ tenant_id: string; n: number }>(`SELECT tenant_id, sum(value) AS n FROM ${table} GROUP BY tenant_id ORDER BY tenant_id`);
      const raw = await db.warehouse.query<{ tenant_id: string; n: number }>(
        `SELECT tenant_id, count(*) AS n FROM ${db.warehouse.dialect.deduplicated('events')} WHERE type = ? GROUP BY tenant_id ORDER BY tenant_id`,
        [type],
      );
      return { metered: metered.map((r) => [r.tenant_id, Number(r.n)]), raw: raw.map((r) => [r.tenant_id, Number(r.n)]) };
    };
    for (const meter of meters) {
      const { metered, raw } = await totals(meter.eventType);
      expect(raw.length, meter.name).toBeGreaterThan(0);
      expect(metered, meter.name).toEqual(raw);
    }

    // Late: its event time lies in the first hour, long built; it arrives an hour later.
    const late = { ...week[0]!, id: 'late-arrival' };
    await pipeline.ingest([late], { channel: 'seed', submitter: 'summit-internal', receivedAt: new Date('2026-11-22T11:00:00Z') });
    const second = await runProject(db.warehouse, project);
    expect(second.filter((r) => r.status !== 'success')).toEqual([]);
    const { metered, raw } = await totals(late.type);
    expect(metered).toEqual(raw);
  });
});

describe('parseMeters', () => {
  it('reports every bad meter at once', () => {
    const { problems } = parseMeters('meters.yaml', `meters:
  - { name: Bad Name, event_type: x }
  - { name: sums, event_type: x, aggregation: SUM }
  - { name: w, event_type: x, window: week, group_by: ["a b"] }
  - { name: ok, event_type: x }
  - { name: ok, event_type: y }`);
    expect(problems.map((p) => p.message)).toEqual([
      'meters[0] (Bad Name): name must be lowercase letters, digits, "_" and "."',
      'meters[1] (sums): SUM needs value: <key of data>',
      'meters[2] (w): group_by "a b" is not a plain name',
      'meters[2] (w): window must be one of hour, day, month',
      'meter "ok" is declared twice',
    ]);
  });
});
