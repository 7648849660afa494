import type { FastifyInstance } from 'fastify';
import type { IngestPipeline } from '../../../platform/ingest/index.ts';
import { DEFAULT_SIMULATION, simulate, simulatedBillCsv } from '../index.ts';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';

const EVENT_BATCH = 5_000;

/**
 * The FinOps half of the demo data, on a freshly seeded warehouse: a simulated
 * company's usage events, then its bill imported and every model built through
 * the platform's own API — policy-gated and receipted like any operator's call —
 * so every report panel has numbers on `npm start`.
 */
export async function seedDemoFinops(app: FastifyInstance, { pipeline }: { pipeline: IngestPipeline }, operatorToken: string): Promise<string> {
  const simulation = simulate({ ...DEFAULT_SIMULATION, tenants: 8 });
  for (let i = 0; i < simulation.events.length; i += EVENT_BATCH) {
    await pipeline.ingest(simulation.events.slice(i, i + EVENT_BATCH), { channel: 'seed', submitter: TENANT_ZERO });
  }
  const headers = { authorization: `Bearer ${operatorToken}` };
  const calls = [
    { url: '/v1/finops/simulations/true-costs', payload: { simulation_id: `demo-seed-${DEFAULT_SIMULATION.seed}`, rows: simulation.trueCosts }, type: 'application/json' },
    { url: '/v1/finops/bills?file_name=demo-bill.csv', payload: simulatedBillCsv(simulation.bill), type: 'text/csv' },
    { url: '/v1/transforms/build', payload: {}, type: 'application/json' },
  ];
  let built = 0;
  for (const call of calls) {
    const response = await app.inject({ method: 'POST', url: call.url, headers: { ...headers, 'content-type': call.type }, payload: call.payload as string | object });
    if (response.statusCode >= 300) throw new Error(`seeding the demo FinOps data: POST ${call.url} answered ${response.statusCode}: ${response.body}`);
    if (call.url === '/v1/transforms/build') built = (response.json() as { results: unknown[] }).results.length;
  }
  return `a simulated bill of ${simulation.summary.billRows.toLocaleString('en-US')} rows for ${simulation.summary.tenants} tenants, imported and built (${built} models)`;
}
