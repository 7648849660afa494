import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useApi } from '../../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { cloudEvent } from '../../../test/support/events.ts';
import { IngestPipeline } from '../../../platform/ingest/index.ts';
import { buildProject } from '../../../platform/transforms/index.ts';
import { MODEL_GENERATORS } from '../../index.ts';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));

describe.each(TEST_ENGINES)('usage API on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db, { transforms: { modelsDir: MODELS, targetDir: '/tmp/companyos-usage-target', operatorTenant: 'summit-internal' } });
  const decision = (id: string, time: string, data: object, tenantid = 'acme') =>
    cloudEvent({ id, tenantid, time, type: 'policy.decisions_total', data: { bundle: 'core', package: 'entity', decision: 'allow', ...data } });

  async function seedAndBuild() {
    await new IngestPipeline(db.warehouse).ingest(
      [
        decision('1', '2026-11-20T10:05:00Z', {}),
        decision('2', '2026-11-20T10:40:00Z', { decision: 'deny' }),
        decision('3', '2026-11-20T11:10:00Z', {}),
        decision('4', '2026-11-21T09:00:00Z', {}),
        decision('g', '2026-11-20T10:05:00Z', {}, 'globex'),
      ],
      { channel: 'file', submitter: 'acme' },
    );
    await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: '/tmp/companyos-usage-target', select: ['+tag:meters'], tenant: 'summit-internal', trigger: 'cli' });
  }
  const get = async (path: string, tenant = 'acme') =>
    server.api.app.inject({ url: path, headers: { authorization: `Bearer ${await server.api.token(tenant, 'reader')}` } });

  it('reads a meter per window, grouped, re-aggregated to days, and within a time range', async () => {
    await seedAndBuild();
    const hourly = (await get('/v1/tenants/acme/usage?meter=policy.decisions_total')).json();
    expect(hourly).toMatchObject({ tenant: 'acme', meter: 'policy.decisions_total', aggregation: 'COUNT', window: 'hour' });
    expect(hourly.rows).toEqual([
      { window_start: '2026-11-20T10:00:00.000Z', value: 2 },
      { window_start: '2026-11-20T11:00:00.000Z', value: 1 },
      { window_start: '2026-11-21T09:00:00.000Z', value: 1 },
    ]);
    const byDecision = (await get('/v1/tenants/acme/usage?meter=policy.decisions_total&window=day&group_by=decision')).json();
    expect(byDecision.rows).toEqual([
      { window_start: '2026-11-20T00:00:00.000Z', decision: 'allow', value: 2 },
      { window_start: '2026-11-20T00:00:00.000Z', decision: 'deny', value: 1 },
      { window_start: '2026-11-21T00:00:00.000Z', decision: 'allow', value: 1 },
    ]);
    const ranged = (await get('/v1/tenants/acme/usage?meter=policy.decisions_total&window=month&from=2026-11-20T11:00:00Z&to=2026-11-22T00:00:00Z')).json();
    expect(ranged.rows).toEqual([{ window_start: '2026-11-01T00:00:00.000Z', value: 2 }]);
  });

  it('answers decimal meters with decimal strings: sums add exactly, LATEST rolls up to the latest window', async () => {
    const sample = (id: string, time: string, gb: string) =>
      cloudEvent({ id, time, type: 'resource.storage_usage', data: { store: 'warehouse', gb, gb_hours: gb } });
    await new IngestPipeline(db.warehouse).ingest(
      [sample('s1', '2026-11-20T10:00:10Z', '0.1'), sample('s2', '2026-11-20T11:00:10Z', '0.2'), sample('s3', '2026-11-20T12:00:10Z', '123456789012345678.123456789')],
      { channel: 'file', submitter: 'acme' },
    );
    await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: '/tmp/companyos-usage-target', select: ['+tag:meters'], tenant: 'summit-internal', trigger: 'cli' });
    const hours = (await get('/v1/tenants/acme/usage?meter=resource.storage_gb_hours&window=day')).json();
    expect(hours).toMatchObject({ aggregation: 'SUM', rows: [{ window_start: '2026-11-20T00:00:00.000Z', value: '123456789012345678.4234567890' }] });
    const latest = (await get('/v1/tenants/acme/usage?meter=resource.storage_gb&window=day&group_by=store')).json();
    expect(latest.rows).toEqual([{ window_start: '2026-11-20T00:00:00.000Z', store: 'warehouse', value: '123456789012345678.1234567890' }]);
  });

  it('still takes the 0.1.0 spelling `groupBy` (deprecated), and refuses a request that sends both spellings', async () => {
    await seedAndBuild();
    const snake = await get('/v1/tenants/acme/usage?meter=policy.decisions_total&window=day&group_by=decision');
    const camel = await get('/v1/tenants/acme/usage?meter=policy.decisions_total&window=day&groupBy=decision');
    expect(camel.statusCode).toBe(200);
    expect(camel.json()).toEqual(snake.json());
    expect(camel.json().group_by).toEqual(['decision']);
    const both = await get('/v1/tenants/acme/usage?meter=policy.decisions_total&group_by=decision&groupBy=decision');
    expect(both.statusCode).toBe(400);
    expect(both.json()).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('groupBy') });
  });

  it("refuses another tenant's usage, unknown meters and dimensions, and unbuilt meters", async () => {
    expect((await get('/v1/tenants/acme/usage?meter=policy.decisions_total')).json().code).toBe('METER_NOT_BUILT');
    await seedAndBuild();
    const other = await get('/v1/tenants/acme/usage?meter=policy.decisions_total', 'globex');
    expect([other.statusCode, other.json().code, other.json().reasons]).toEqual([403, 'POLICY_DENIED', ['tenant-isolation']]);
    expect((await get('/v1/tenants/acme/usage?meter=nope')).json().code).toBe('METER_UNKNOWN');
    expect((await get('/v1/tenants/acme/usage?meter=policy.decisions_total&group_by=colour')).json()).toMatchObject({ code: 'QUERY_INVALID' });
    expect((await get('/v1/tenants/acme/usage')).json()).toMatchObject({ code: 'QUERY_INVALID' });
  });
});
