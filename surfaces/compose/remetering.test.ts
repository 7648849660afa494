import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../kernel/warehouse/index.ts';
import { TestClock } from '../../test/support/test-clock.ts';
import { runUntilKilled } from '../../test/support/until-killed.ts';
import { createPlatform } from './create-platform.ts';

describe('workflow events a kill took from the queue', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-remeter-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('are metered at the next start however long after the kill it comes, once', { timeout: 60_000 }, async () => {
    const said = await runUntilKilled('surfaces/compose/testdata/killed-with-queued-events.ts', [dir]);
    const runId = said.split(' ')[1]!;
    const transitionEvents = async (warehouse: DuckDBWarehouse) =>
      (await warehouse.query<{ id: string }>("SELECT id FROM events WHERE type = 'companyos.workflow.transition' AND subject = ? ORDER BY id", [runId])).map((row) => row.id);

    // Twenty minutes later: past any fixed span a start would look back over.
    const clock = new TestClock(new Date(Date.now() + 20 * 60_000));
    const start = async () => {
      const warehouse = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'));
      const platform = await createPlatform({ warehouse, ledger: { keysDir: join(dir, 'keys') }, clock });
      return { warehouse, platform };
    };
    const first = await start();
    try {
      // The kill took them: nothing of the run is stored before the start meters it again.
      const run = await first.platform.workflows.get('acme', runId);
      expect(run.transitions.length).toBeGreaterThan(0);
      expect(await first.platform.remeteredTransitions).toBe(run.transitions.length);
      await first.platform.flushEvents();
      expect(await transitionEvents(first.warehouse)).toEqual(run.transitions.map((t) => t.receiptId).sort());
    } finally {
      await first.platform.close();
      await first.warehouse.close();
    }
    // The dead process's mark was done with, and the closed one left none: the next start has nothing more to meter.
    const stopped = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'));
    try {
      expect(await stopped.query('SELECT process_id FROM metering_marks')).toEqual([]);
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
