import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyBundle } from '../../kernel/ledger/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { useApi } from '../../test/support/api.ts';
import { cloudEvent } from '../../test/support/events.ts';

const WHY = { category: 'customer-request', text: 'acme asked for its October events (ticket CS-2210)' };

describe.each(TEST_ENGINES)('High-Risk Ops: tenant export on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  it('exports the tenant\'s events only once a second person approves, hashes them into the evidence, and hands the file to the requester alone', async () => {
    const [ana, bo, cy, globexOps] = await Promise.all([
      server.api.principal('ana', 'acme', 'operator'), server.api.principal('bo', 'acme', 'approver'),
      server.api.principal('cy', 'acme', 'operator'), server.api.principal('gil', 'globex', 'operator'),
    ]);
    const { pipeline } = server.api.app.platform;
    const events = (tenant: string, n: number) => Array.from({ length: n }, (_, i) => cloudEvent({ id: `${tenant}-${i}`, tenantid: tenant, time: new Date(Date.UTC(2026, 9, 1 + (i % 28))).toISOString() }));
    await pipeline.ingest(events('acme', 1205), { channel: 'seed', submitter: 'acme' });
    await pipeline.ingest(events('globex', 40), { channel: 'seed', submitter: 'globex' });
    const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
      server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

    const run = (await call(ana, 'POST', '/v1/workflows/types/tenant-export/runs', { rationale: WHY, params: { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' } })).json();
    expect(run.status).toBe('awaiting-approval');
    expect(run.steps[1].output.result).toEqual({ events: 1205 });
    // Not before a second person approves; never by the requester.
    expect((await call(ana, 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).statusCode).toBe(409);
    expect((await call(ana, 'GET', `/v1/workflows/runs/${run.run_id}/export`)).json().code).toBe('WORKFLOW_EXPORT_UNAVAILABLE');
    await call(bo, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY });
    const done = (await call(cy, 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).json();
    expect(done.status).toBe('succeeded');
    const written = done.steps.find((s: { step: string; phase: string }) => s.step === 'execute' && s.phase === 'completed').output.result;
    expect(written).toMatchObject({ events: 1205 });

    const file = await call(ana, 'GET', `/v1/workflows/runs/${run.run_id}/export`);
    expect(file.statusCode).toBe(200);
    const lines = file.body.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1205);
    expect(new Set(lines.map((e: { tenantid: string }) => e.tenantid))).toEqual(new Set(['acme']));
    const sha256 = createHash('sha256').update(file.rawPayload).digest('hex');
    expect(sha256).toBe(written.sha256);
    expect(file.headers['repr-digest']).toBe(`sha-256=:${Buffer.from(sha256, 'hex').toString('base64')}:`);
    // The hash is in the receipted evidence, which verifies offline.
    const bundle = (await call(bo, 'GET', `/v1/workflows/runs/${run.run_id}/evidence`)).json();
    expect(verifyBundle(bundle, server.api.app.ledgerStore.keyring.all()).failures).toEqual([]);
    expect(bundle.evidence.some((item: { content: string }) => Buffer.from(item.content, 'base64').toString().includes(sha256))).toBe(true);

    // Nobody else downloads it: not the approver, not the executor, not another tenant.
    expect((await call(bo, 'GET', `/v1/workflows/runs/${run.run_id}/export`)).json().code).toBe('WORKFLOW_EXPORT_NOT_YOURS');
    expect((await call(cy, 'GET', `/v1/workflows/runs/${run.run_id}/export`)).statusCode).toBe(403);
    expect((await call(globexOps, 'GET', `/v1/workflows/runs/${run.run_id}/export`)).statusCode).toBe(404);
  });

  it('refuses times that are not times and a range that ends before it starts', async () => {
    const ana = await server.api.principal('ana', 'acme', 'operator');
    const request = (params: unknown) => server.api.app.inject({
      method: 'POST', url: '/v1/workflows/types/tenant-export/runs', headers: { authorization: `Bearer ${ana}` }, payload: { rationale: WHY, params },
    });
    expect((await request({ from: 'yesterday' })).json().code).toBe('WORKFLOW_PARAMS_INVALID');
    expect((await request({ from: '2026-11-01T00:00:00Z', to: '2026-10-01T00:00:00Z' })).json().code).toBe('WORKFLOW_PARAMS_INVALID');
    expect((await request({ tables: ['everything'] })).json().code).toBe('WORKFLOW_PARAMS_INVALID');
  });
});
