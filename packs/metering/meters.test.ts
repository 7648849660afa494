import { MODEL_GENERATORS } from '../index.ts';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../platform/ingest/index.ts';
import { tenantZeroWeek } from './index.ts';
import type { CloudEvent } from '../../kernel/schemas/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { expectedMeterRows, meterRowLines } from '../../test/support/meter-oracle.ts';
import { compileProject } from '../../platform/transforms/compile-project.ts';
import { AGGREGATIONS, meterModelName, parseMeters } from './meters.ts';
import { RAW_SOURCES } from '../../platform/transforms/raw-sources.ts';
import { runProject } from '../../platform/transforms/run-project.ts';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));

describe.each(TEST_ENGINES)('the shipped meters on %s', (engine) => {
  const db = useWarehouse(engine);

  it('hold exactly what a direct computation over the raw events gives, and count late events in the next run', { timeout: 90_000 }, async () => {
    const pipeline = new IngestPipeline(db.warehouse);
    const week = tenantZeroWeek(new Date('2026-11-22T10:00:00Z')).slice(0, 4000);
    const otherTenant = week.slice(0, 400).map((e) => ({ ...e, tenantid: 'acme' }));
    await pipeline.ingest([...week, ...otherTenant], { channel: 'seed', submitter: 'summit-internal', receivedAt: new Date('2026-11-22T10:00:00Z') });
    const project = await compileProject(MODELS, RAW_SOURCES, MODEL_GENERATORS);
    const { meters } = parseMeters('meters.yaml', await readFile(`${MODELS}meters.yaml`, 'utf8'));
    expect(new Set(meters.map((m) => m.aggregation))).toEqual(new Set(AGGREGATIONS));

    const expectMetersToMatch = async (events: CloudEvent[]) => {
      for (const meter of meters) {
        const rows = await db.warehouse.query(`SELECT * FROM ${db.warehouse.dialect.deduplicated(meterModelName(meter))}`);
        const expected = expectedMeterRows(meter, events);
        expect(expected.length, meter.name).toBeGreaterThan(0);
        expect(meterRowLines(meter, rows), meter.name).toEqual(expected);
      }
    };
    const first = await runProject(db.warehouse, project);
    expect(first.filter((r) => r.status !== 'success')).toEqual([]);
    await expectMetersToMatch([...week, ...otherTenant]);

    // Late: their event times lie in the first hour, long built; they arrive an hour later.
    const storage = week.find((e) => e.type === 'resource.storage_usage')!;
    const late = [
      { ...week[0]!, id: 'late-arrival' },
      { ...storage, id: 'late-sample', time: new Date(Date.parse(storage.time!) + 1_800_000).toISOString(), data: { ...(storage.data as object), gb: '1.125' } },
      // Values that are not plain decimals are not metered: not the latest, and no window of their own.
      { ...storage, id: 'unreadable-sample', time: new Date(Date.parse(storage.time!) + 2_400_000).toISOString(), data: { ...(storage.data as object), gb: '1e3', gb_hours: 'n/a' } },
      { ...storage, id: 'lonely-unreadable', time: new Date(Date.parse(storage.time!) - 10 * 86_400_000).toISOString(), data: { ...(storage.data as object), gb: null, gb_hours: '' } },
    ];
    await pipeline.ingest(late, { channel: 'seed', submitter: 'summit-internal', receivedAt: new Date('2026-11-22T11:00:00Z') });
    const second = await runProject(db.warehouse, project);
    expect(second.filter((r) => r.status !== 'success')).toEqual([]);
    await expectMetersToMatch([...week, ...otherTenant, ...late]);
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
