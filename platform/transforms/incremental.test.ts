import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../ingest/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { compileProject } from './compile-project.ts';
import { RAW_SOURCES } from './raw-sources.ts';
import { runProject } from './run-project.ts';

const PROJECT = fileURLToPath(new URL('./fixtures/incremental/', import.meta.url));

describe.each(TEST_ENGINES)('incremental models on %s', (engine) => {
  const db = useWarehouse(engine);
  const ingest = (events: Record<string, unknown>[], receivedAt: Date) =>
    new IngestPipeline(db.warehouse).ingest(events, { channel: 'file', submitter: 'acme', receivedAt });
  const counts = async () =>
    Object.fromEntries(
      (await db.warehouse.query<{ tenant_id: string; n: number }>(
        `SELECT tenant_id, n FROM ${db.warehouse.dialect.deduplicated('tenant_counts')} ORDER BY tenant_id`,
      )).map((r) => [r.tenant_id, r.n]),
    );
  const logged = async () => (await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM event_log'))[0]!.n;

  it('appends new rows, merges by key, counts late events in the next run, and rebuilds on full refresh', async () => {
    const project = await compileProject(PROJECT, RAW_SOURCES);
    await ingest([cloudEvent({ id: 'a1' }), cloudEvent({ id: 'a2' }), cloudEvent({ id: 'a3' }), cloudEvent({ id: 'g1', tenantid: 'globex' })], new Date('2026-11-22T10:00:00Z'));
    const first = await runProject(db.warehouse, project);
    expect(first.map((r) => [r.model, r.status, r.message])).toEqual([
      ['event_log', 'success', 'table built'],
      ['tenant_counts', 'success', 'table built'],
    ]);
    expect(await counts()).toEqual({ acme: 3, globex: 1 });

    // Later arrivals, one of them late: its event time lies in a window built long ago.
    await ingest(
      [cloudEvent({ id: 'a4' }), cloudEvent({ id: 'late', time: '2026-11-01T00:00:00Z' }), cloudEvent({ id: 'i1', tenantid: 'initech' })],
      new Date('2026-11-22T10:05:00Z'),
    );
    const second = await runProject(db.warehouse, project);
    expect(second.map((r) => [r.model, r.message, r.rows])).toEqual([
      ['event_log', 'appended', 7],
      ['tenant_counts', 'merged', 3],
    ]);
    expect(await counts()).toEqual({ acme: 5, globex: 1, initech: 1 });

    const idle = await runProject(db.warehouse, project);
    expect(idle.map((r) => r.rows)).toEqual([7, 3]);
    expect(await counts()).toEqual({ acme: 5, globex: 1, initech: 1 });

    const rebuilt = await runProject(db.warehouse, project, { fullRefresh: true });
    expect(rebuilt.map((r) => r.message)).toEqual(['table built', 'table built']);
    expect(await logged()).toBe(7);
    expect(await counts()).toEqual({ acme: 5, globex: 1, initech: 1 });
  });
});
