import { describe, expect, it } from 'vitest';
import { tenantZeroWeek } from '../metering/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { useApi } from '../../test/support/api.ts';

const PLATFORM = 'summit-internal';
const MODEL = 'meter_policy_decisions_total';
const WHY = { category: 'data-fix', text: 'recompute the decision meter after the dimension fix' };

describe.each(TEST_ENGINES)('High-Risk Ops: a model table rebuilt from scratch on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  it('snapshots the table, rebuilds it once approved, and restores the snapshot when the rebuild fails', async () => {
    const [ops, lead, sre, admin] = await Promise.all([
      server.api.principal('ops', PLATFORM, 'operator'), server.api.principal('lead', PLATFORM, 'approver'),
      server.api.principal('sre', PLATFORM, 'operator'), server.api.principal('root', PLATFORM, 'admin'),
    ]);
    const call = (token: string, url: string, payload?: object) =>
      server.api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const rows = async (table: string) => Number((await db.warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
    await server.api.app.platform.pipeline.ingest(tenantZeroWeek(new Date('2026-11-22T10:00:00Z')).slice(0, 400), { channel: 'seed', submitter: PLATFORM });
    expect((await call(admin, '/v1/transforms/build', {})).statusCode).toBe(200);
    const before = await rows(MODEL);
    expect(before).toBeGreaterThan(0);

    const run = (await call(ops, '/v1/workflows/types/model-full-refresh/runs', { rationale: WHY, params: { model: MODEL } })).json();
    expect(run.status).toBe('awaiting-approval');
    const preflight = run.steps.find((s: { step: string; phase: string }) => s.step === 'preflight' && s.phase === 'completed').output.result;
    expect(preflight).toMatchObject({ model: MODEL, materialized: 'incremental', rows: before });
    expect(await rows(preflight.snapshot)).toBe(before);
    // Named by the whole run id: runs are unique, their first 12 digits only the millisecond they were made in (UUIDv7).
    expect(preflight.snapshot).toBe(`${MODEL}__snapshot_${run.run_id.replaceAll('-', '')}`);
    await call(lead, `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY });
    const done = (await call(sre, `/v1/workflows/runs/${run.run_id}/execute`)).json();
    expect(done.status, JSON.stringify(done.transitions.at(-1))).toBe('succeeded');
    expect(await rows(MODEL)).toBe(before);
    expect(await db.warehouse.hasRelation(preflight.snapshot)).toBe(false);

    // The rebuild fails (the events it reads are gone for a moment): the table is put back from the snapshot.
    const second = (await call(ops, '/v1/workflows/types/model-full-refresh/runs', { rationale: WHY, params: { model: MODEL } })).json();
    await call(lead, `/v1/workflows/runs/${second.run_id}/approvals`, { decision: 'approve', rationale: WHY });
    const rename = (from: string, to: string) => db.warehouse.execute(engine === 'duckdb' ? `ALTER TABLE ${from} RENAME TO ${to}` : `RENAME TABLE ${from} TO ${to}`);
    await rename('events', 'events_away');
    const rolledBack = (await call(sre, `/v1/workflows/runs/${second.run_id}/execute`)).json();
    await rename('events_away', 'events');
    expect(rolledBack.status).toBe('rolled-back');
    expect(rolledBack.transitions.at(-1).detail.error).toMatch(/the full refresh of meter_policy_decisions_total failed/);
    expect(await rows(MODEL)).toBe(before);
    const restored = rolledBack.steps.find((s: { step: string; phase: string }) => s.step === 'rollback' && s.phase === 'completed').output.result;
    expect(restored.restored_rows).toBe(before);
  });

  it('refuses a view, a model the project does not declare, and bad parameters', async () => {
    const ops = await server.api.principal('ops', PLATFORM, 'operator');
    const request = (params: unknown) => server.api.app.inject({
      method: 'POST', url: '/v1/workflows/types/model-full-refresh/runs', headers: { authorization: `Bearer ${ops}` }, payload: { rationale: WHY, params },
    });
    const view = (await request({ model: 'stg_events' })).json();
    expect(view.status).toBe('preflight-failed');
    expect(view.transitions.at(-1).detail.error).toMatch(/stg_events is a view/);
    expect((await request({ model: 'no_such_model' })).json().transitions.at(-1).detail.error).toMatch(/declares no model no_such_model/);
    expect((await request({ model: 'events; DROP TABLE events' })).json().code).toBe('WORKFLOW_PARAMS_INVALID');
    expect((await request({ model: MODEL, extra: 1 })).json().code).toBe('WORKFLOW_PARAMS_INVALID');
  });
});
