import { createServer, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../platform/ingest/index.ts';
import { tenantZeroWeek } from '../../packs/metering/index.ts';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { httpLineageSink } from '../../platform/transforms/index.ts';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));
const received: { eventType: string; job: { name: string } }[] = [];
const collector = createServer((request: IncomingMessage, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    received.push(JSON.parse(body));
    response.writeHead(201).end();
  });
});
await new Promise<void>((done) => collector.listen(0, '127.0.0.1', done));
const collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}/api/v1/lineage`;
afterAll(() => void collector.close());

describe.each(TEST_ENGINES)('lineage and build runs API on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db, {
    transforms: { modelsDir: MODELS, targetDir: '/tmp/companyos-lineage-target', operatorTenant: 'summit-internal', lineageSink: httpLineageSink(collectorUrl) },
  });
  afterEach(() => void received.splice(0));
  const call = async (method: 'GET' | 'POST', url: string, tenant: string, role: 'reader' | 'operator') =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${await server.api.token(tenant, role)}` }, ...(method === 'POST' ? { payload: {} } : {}) });

  it('shows events → meters, SLO facts and staging after a build, sends the OpenLineage events, and lists the build', async () => {
    await new IngestPipeline(db.warehouse).ingest(tenantZeroWeek(new Date('2026-11-22T10:00:00Z')).slice(0, 300), { channel: 'seed', submitter: 'summit-internal' });
    expect((await call('GET', '/v1/lineage?node=events', 'summit-internal', 'reader')).json().code).toBe('LINEAGE_NOT_BUILT');
    const built = await call('POST', '/v1/transforms/build', 'summit-internal', 'operator');
    expect(built.statusCode, built.body).toBe(200);

    const lineage = await call('GET', '/v1/lineage?node=meter_api_calls_total&direction=upstream', 'summit-internal', 'reader');
    expect(lineage.statusCode).toBe(200);
    expect(lineage.json().edges).toEqual([
      { upstream: 'events', downstream: 'meter_api_calls_total' },
      { upstream: 'events', downstream: 'meter_touched_events' },
      { upstream: 'meter_touched_events', downstream: 'meter_api_calls_total' },
    ]);
    const down = (await call('GET', '/v1/lineage?node=events&direction=downstream&depth=1', 'summit-internal', 'reader')).json();
    expect(down.nodes.map((n: { name: string }) => n.name)).toEqual(expect.arrayContaining(['stg_events', 'slo_request_windows', 'meter_notary_calls_total']));
    expect(received.filter((e) => e.job.name === 'stg_events').map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);

    const runs = (await call('GET', '/v1/transforms/runs', 'summit-internal', 'reader')).json().runs;
    expect(runs).toMatchObject([{ run_id: built.json().run_id, trigger: 'api', status: 'success', models_error: 0 }]);
  });

  it('builds with the threads asked, and refuses a thread count out of range before any receipt', async () => {
    const build = async (payload: object) =>
      server.api.app.inject({ method: 'POST', url: '/v1/transforms/build', payload, headers: { authorization: `Bearer ${await server.api.token('summit-internal', 'operator')}` } });
    for (const threads of [0, 17, 1.5, 'four']) {
      const refused = await build({ threads });
      expect([refused.statusCode, refused.headers['x-companyos-receipt']], JSON.stringify(threads)).toEqual([400, undefined]);
      expect(refused.json().message).toMatch(/threads/);
    }
    const one = await build({ threads: 1, select: ['stg_events'] });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.headers['x-companyos-receipt']).toBeTruthy();
    expect(one.json().results.map((r: { status: string }) => r.status)).toEqual(['success']);
  });

  it("refuses bad queries, and never shows one tenant another's lineage or builds", async () => {
    await call('POST', '/v1/transforms/build', 'summit-internal', 'operator');
    const unknown = await call('GET', '/v1/lineage?node=nope', 'summit-internal', 'reader');
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'LINEAGE_NODE_UNKNOWN']);
    const deep = await call('GET', '/v1/lineage?node=events&depth=500', 'summit-internal', 'reader');
    expect(deep.statusCode).toBe(400);
    const other = await call('GET', '/v1/lineage?node=events', 'acme', 'reader');
    expect([other.statusCode, other.json().code]).toEqual([409, 'LINEAGE_NOT_BUILT']);
    expect((await call('GET', '/v1/transforms/runs', 'acme', 'reader')).json().runs).toEqual([]);
  });
});
