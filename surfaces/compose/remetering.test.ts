import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../kernel/warehouse/index.ts';
import { TestClock } from '../../test/support/test-clock.ts';
import { runUntilKilled } from '../../test/support/until-killed.ts';
import { CloudEvent } from 'cloudevents';
import { listEvents } from '../../platform/ingest/index.ts';
import { createPlatform } from './create-platform.ts';

describe('workflow events a kill took from the queue', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-remeter-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it.each(['server', 'cli'])('are metered at the next start however long after the kill it comes, once (killed: a %s platform)', { timeout: 60_000 }, async (kind) => {
    const said = await runUntilKilled('surfaces/compose/testdata/killed-with-queued-events.ts', [dir, kind]);
    const [, acmeRun, globexRun] = said.split(' ') as [string, string, string];
    // A run's transition events, as stored in `tenant`'s rows.
    const transitionEvents = async (warehouse: DuckDBWarehouse, tenant: string, runId: string) =>
      (await warehouse.query<{ id: string }>("SELECT id FROM events WHERE type = 'companyos.workflow.transition' AND tenant_id = ? AND subject = ? ORDER BY id", [tenant, runId])).map((row) => row.id);

    // Twenty minutes later: past any fixed span a start would look back over.
    const clock = new TestClock(new Date(Date.now() + 20 * 60_000));
    const start = async () => {
      const warehouse = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'));
      const platform = await createPlatform({ warehouse, ledger: { keysDir: join(dir, 'keys') }, clock });
      return { warehouse, platform };
    };
    const first = await start();
    try {
      // The kill took them: nothing of the runs is stored before the start meters them again.
      const runs = await Promise.all([first.platform.workflows.get('acme', acmeRun), first.platform.workflows.get('globex', globexRun)]);
      expect(runs.map((run) => run.transitions.length)).toEqual([2, 2]);
      expect(await first.platform.remeteredTransitions).toBe(4);
      await first.platform.flushEvents();
      // Each in its own tenant, none in the other's.
      expect(await transitionEvents(first.warehouse, 'acme', acmeRun)).toEqual(runs[0]!.transitions.map((t) => t.receiptId).sort());
      expect(await transitionEvents(first.warehouse, 'globex', globexRun)).toEqual(runs[1]!.transitions.map((t) => t.receiptId).sort());
      expect(await transitionEvents(first.warehouse, 'globex', acmeRun)).toEqual([]);
      // As the events API serves them (`listEvents`), each valid to the official CloudEvents SDK (it throws on an invalid
      // attribute), and in its own tenant's list only.
      for (const [tenant, runId, other] of [['acme', acmeRun, globexRun], ['globex', globexRun, acmeRun]] as const) {
        const { events } = await listEvents(first.platform.scope(tenant), { type: 'companyos.workflow.transition', limit: 100 });
        expect(events.map((event) => event.subject)).toEqual([runId, runId]);
        expect(events.map((event) => event.subject)).not.toContain(other);
        for (const event of events) expect(new CloudEvent(event, true).validate()).toBe(true);
      }
    } finally {
      await first.platform.close();
      await first.warehouse.close();
    }
    // The dead process's mark was done with, and the closed one left none: the next start has nothing more to meter.
    const stopped = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'));
    try {
      expect(await stopped.query('SELECT process_id FROM queue_marks')).toEqual([]);
    } finally {
      await stopped.close();
    }
    const second = await start();
    try {
      expect(await second.platform.remeteredTransitions).toBe(0);
    } finally {
      await second.platform.close();
      await second.warehouse.close();
    }
  });
});
