import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { IngestPipeline } from '../ingest/index.ts';
import { compileProject } from './compile-project.ts';
import { runProject } from './run-project.ts';
import { selectModels } from './select-models.ts';

const RUNNABLE = fileURLToPath(new URL('./fixtures/runnable/', import.meta.url));

describe.each(TEST_ENGINES)('runProject on %s', (engine) => {
  const db = useWarehouse(engine);

  async function seed() {
    const events = [
      ...Array.from({ length: 3 }, (_, i) => cloudEvent({ id: `a${i}`, type: 'policy.decisions_total' })),
      cloudEvent({ id: 'b', type: 'workflow.executions_total' }),
      cloudEvent({ id: 'c', tenantid: 'globex' }),
    ];
    await new IngestPipeline(db.warehouse).ingest(events, { channel: 'file', submitter: 'acme' });
  }

  it('builds views and tables in order, reports a failure, and skips what is downstream of it', async () => {
    await seed();
    const project = await compileProject(RUNNABLE, { raw: ['events'] });
    const results = await runProject(db.warehouse, project);
    const byModel = Object.fromEntries(results.map((r) => [r.model, r]));
    expect(byModel.stg_events).toMatchObject({ status: 'success' });
    expect(byModel.counts_by_type).toMatchObject({ status: 'success', rows: 3 });
    expect(byModel.broken_model!.status).toBe('error');
    expect(byModel.broken_model!.message).toMatch(/no_such_column/);
    expect(byModel.after_broken).toMatchObject({ status: 'skipped', message: 'upstream broken_model failed' });
    expect(byModel.later_incremental).toMatchObject({ status: 'success', rows: 2 });
    const counts = await db.warehouse.query('SELECT tenant_id, type, n FROM counts_by_type ORDER BY tenant_id, type');
    expect(counts).toEqual([
      { tenant_id: 'acme', type: 'policy.decisions_total', n: 3 },
      { tenant_id: 'acme', type: 'workflow.executions_total', n: 1 },
      { tenant_id: 'globex', type: 'policy.decisions_total', n: 1 },
    ]);
  });

  it('replaces relations on a second run, reflecting new events', async () => {
    await seed();
    const project = await compileProject(RUNNABLE, { raw: ['events'] });
    const models = selectModels(project, ['+counts_by_type']);
    await runProject(db.warehouse, project, { models });
    await new IngestPipeline(db.warehouse).ingest([cloudEvent({ id: 'late', tenantid: 'globex' })], { channel: 'file', submitter: 'acme' });
    const again = await runProject(db.warehouse, project, { models });
    expect(again.map((r) => r.status)).toEqual(['success', 'success']);
    const [globex] = await db.warehouse.query<{ n: number }>("SELECT n FROM counts_by_type WHERE tenant_id = 'globex'");
    expect(globex!.n).toBe(2);
  });

  it('runs independent models side by side on either engine, one at a time with one thread, and reports in run order', async () => {
    await seed();
    const project = await compileProject(RUNNABLE, { raw: ['events'] });
    const overlapped = async (threads: number) => {
      const running = new Set<string>();
      let most = 0;
      const results = await runProject(db.warehouse, project, {
        threads,
        onModel: ({ model, result }) => {
          if (result) running.delete(model);
          else most = Math.max(most, running.add(model).size);
        },
      });
      expect(results.map((r) => r.model)).toEqual(selectModels(project, []));
      expect(Object.fromEntries(results.map((r) => [r.model, r.status]))).toMatchObject({ broken_model: 'error', after_broken: 'skipped', counts_by_type: 'success' });
      return most;
    };
    expect(await overlapped(1)).toBe(1);
    expect(await overlapped(4)).toBe(2); // two branches of the fixture can run at once, on either engine
  });

  it('skips a model whose failed ancestor is reached through a model left out of the selection', async () => {
    await seed();
    const dir = await mkdtemp(join(tmpdir(), 'skip-through-'));
    try {
      await cp(RUNNABLE, dir, { recursive: true });
      await writeFile(join(dir, 'beyond_broken.sql'), "/*---\nmaterialized: table\n---*/\nSELECT * FROM {{ ref('after_broken') }}\n");
      const project = await compileProject(dir, { raw: ['events'] });
      const results = await runProject(db.warehouse, project, { models: selectModels(project, ['broken_model', 'beyond_broken']) });
      expect(results.map((r) => [r.model, r.status, r.message.startsWith('upstream') ? r.message : ''])).toEqual([
        ['broken_model', 'error', ''],
        ['beyond_broken', 'skipped', 'upstream broken_model failed'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

