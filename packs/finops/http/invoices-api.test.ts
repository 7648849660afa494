import { createHmac } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useApi } from '../../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { buildSimulatedFinops, MODELS, OPERATOR } from '../../../test/support/finops.ts';
import { IngestPipeline } from '../../../platform/ingest/index.ts';
import { importBillFile, simulate, simulatedBillCsv } from '../index.ts';
import { buildProject } from '../../../platform/transforms/index.ts';
import { verifyWebhook } from '../invoices/webhook-delivery.ts';
import { MODEL_GENERATORS } from '../../index.ts';

const TARGET = '/tmp/companyos-invoices-api-target';
const SECRET = 'invoice-webhook-secret-at-least-32-chars';
/** Another tenant whose operator imports bills too. */
const RIVAL = 'rival-ops';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  tenant: string;
}

/** A webhook receiver on loopback that answers each delivery as `answer` says, and keeps what it got. */
function useReceiver() {
  const state = { received: [] as Received[], answer: (_r: Received, _seen: number): number => 200, url: '' };
  let server: Server;
  beforeEach(async () => {
    state.received = [];
    state.answer = () => 200;
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const got = { headers: request.headers, body, tenant: JSON.parse(body).invoice.tenant as string };
        const seen = state.received.filter((r) => r.tenant === got.tenant).length;
        state.received.push(got);
        response.writeHead(state.answer(got, seen)).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/invoices`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return state;
}

describe.each(TEST_ENGINES)('Invoices on %s', (engine) => {
  const db = useWarehouse(engine);
  const receiver = useReceiver();
  // Read when each test's server is made, after the receiver listens.
  const server = useApi(db, {
    transforms: { modelsDir: MODELS, targetDir: TARGET, operatorTenant: OPERATOR },
    get invoiceWebhook() {
      return { url: receiver.url, secret: SECRET, maxAttempts: 3, backoffMs: 20, timeoutMs: 2000 };
    },
  });
  const auth = async (tenant: string, role: 'reader' | 'operator' = 'reader') => ({ authorization: `Bearer ${await server.api.token(tenant, role)}` });
  const generate = async (period = '2026-10', tenant = OPERATOR, role: 'reader' | 'operator' = 'operator') =>
    server.api.app.inject({ method: 'POST', url: `/v1/finops/invoices:generate?period=${period}`, headers: await auth(tenant, role) });

  it('generates per-tenant invoices, delivers them signed, retries a failing receiver and records every attempt', async () => {
    await buildSimulatedFinops(db.warehouse, TARGET);
    // The receiver fails sim-tenant-001's invoice twice with 503, then takes it.
    receiver.answer = (r, seen) => (r.tenant === 'sim-tenant-001' && seen < 2 ? 503 : 200);
    const reply = await generate();
    expect(reply.statusCode).toBe(200);
    const run = reply.json();
    expect(run).toMatchObject({ period: '2026-10', delivered: 3, failed: 0 });
    expect(run.invoices.map((i: { tenant: string }) => i.tenant)).toEqual(['sim-tenant-001', 'sim-tenant-002', 'sim-tenant-003']);

    // Every delivery is signed: HMAC-SHA256 over "<t>.<body>" with the shared secret.
    expect(receiver.received).toHaveLength(5);
    for (const got of receiver.received) {
      const [t, v1] = String(got.headers['x-companyos-signature']).split(',').map((p) => p.split('=')[1]!);
      expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${got.body}`).digest('hex'));
      expect(verifyWebhook(SECRET, got.body, String(got.headers['x-companyos-signature']), Number(t))).toBe(true);
      expect(verifyWebhook(SECRET, got.body.replace('sim-tenant', 'sim-tenanT'), String(got.headers['x-companyos-signature']), Number(t))).toBe(false);
    }
    const enterprise = JSON.parse(receiver.received.find((r) => r.tenant === 'sim-tenant-002')!.body);
    expect(enterprise.invoice).toMatchObject({
      invoice_id: 'INV-202610-sim-tenant-002@summit-internal', issuer: OPERATOR, currency: 'USD', total: '3150.0000000000',
      lines: [
        { sku_kind: 'base', sku: 'enterprise/gold', description: 'Plan enterprise, SLA tier gold', amount: '2800.0000000000' },
        { sku_kind: 'pack', sku: 'finops', description: 'Add-on pack finops', amount: '350.0000000000' },
      ],
    });
    expect(enterprise.csv.split('\r\n')[0]).toBe('invoice_id,tenant,period,currency,sku_kind,sku,description,amount');

    const attempts = (await server.api.app.inject({ url: '/v1/finops/invoices/INV-202610-sim-tenant-001@summit-internal/deliveries', headers: await auth(OPERATOR) })).json().attempts;
    expect(attempts.map((a: { attempt: number; status_code: number; outcome: string }) => [a.attempt, a.status_code, a.outcome])).toEqual([
      [1, 503, 'retrying'], [2, 503, 'retrying'], [3, 200, 'delivered'],
    ]);
    expect(new Set(attempts.map((a: { delivery_id: string }) => a.delivery_id)).size).toBe(1);

    // Generating again writes no new revision and sends nothing already delivered.
    const again = (await generate()).json();
    expect(again.invoices.map((i: { new_revision: boolean }) => i.new_revision)).toEqual([false, false, false]);
    expect(again.invoices[0].delivery.skipped).toContain('already delivered');
    expect(receiver.received).toHaveLength(5);
  });

  it('serves the artifacts to the issuer and to the billed tenant only', async () => {
    await buildSimulatedFinops(db.warehouse, TARGET);
    await generate();
    const list = (await server.api.app.inject({ url: '/v1/finops/invoices?period=2026-10', headers: await auth(OPERATOR) })).json();
    expect(list.invoices).toHaveLength(3);
    expect(list.invoices.every((i: { delivered: boolean }) => i.delivered)).toBe(true);

    const own = await server.api.app.inject({ url: '/v1/finops/invoices/INV-202610-sim-tenant-002@summit-internal', headers: await auth('sim-tenant-002') });
    expect(own.statusCode).toBe(200);
    expect(own.json().total).toBe('3150.0000000000');
    const csv = await server.api.app.inject({ url: '/v1/finops/invoices/INV-202610-sim-tenant-002@summit-internal', headers: { ...(await auth('sim-tenant-002')), accept: 'text/csv' } });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.trim().split('\r\n').at(-1)).toBe('INV-202610-sim-tenant-002@summit-internal,sim-tenant-002,2026-10,USD,total,,Total,3150.0000000000');

    const theirs = await server.api.app.inject({ url: '/v1/finops/invoices/INV-202610-sim-tenant-001@summit-internal', headers: await auth('sim-tenant-002') });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().code).toBe('INVOICE_NOT_FOUND');
    const listed = (await server.api.app.inject({ url: '/v1/finops/invoices', headers: await auth('sim-tenant-002') })).json();
    expect(listed.invoices.map((i: { invoice_id: string }) => i.invoice_id)).toEqual(['INV-202610-sim-tenant-002@summit-internal']);
  });

  it('gives up on a receiver that refuses for good or cannot be reached, recording why', async () => {
    await buildSimulatedFinops(db.warehouse, TARGET);
    receiver.answer = (r) => (r.tenant === 'sim-tenant-003' ? 400 : 500);
    const run = (await generate()).json();
    expect(run).toMatchObject({ delivered: 0, failed: 3 });
    const byTenant = Object.fromEntries(run.invoices.map((i: { tenant: string; delivery: object }) => [i.tenant, i.delivery]));
    // 400 is not retried; 500 is, until the attempts run out.
    expect(byTenant['sim-tenant-003']).toMatchObject({ outcome: 'failed', attempts: 1, status_code: 400, error: 'HTTP 400' });
    expect(byTenant['sim-tenant-001']).toMatchObject({ outcome: 'failed', attempts: 3, status_code: 500 });
    const attempts = (await server.api.app.inject({ url: '/v1/finops/invoices/INV-202610-sim-tenant-001@summit-internal/deliveries', headers: await auth(OPERATOR) })).json().attempts;
    expect(attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['retrying', 'retrying', 'failed']);
  });

  it("two bill owners, same period and customers: each invoice names its issuer, and only the platform operator's reach the customer", async () => {
    // The operator's simulated October, and the same bill imported by another tenant's operator ("rival").
    const simulation = simulate({ tenants: 3, days: 5, seed: 3, start: new Date('2026-10-01T00:00:00Z'), eventLoss: 0 });
    await new IngestPipeline(db.warehouse).ingest(simulation.events, { channel: 'file', submitter: OPERATOR });
    const path = join(tmpdir(), `companyos-two-issuers-${engine}-${process.pid}.csv`);
    await writeFile(path, simulatedBillCsv(simulation.bill));
    try {
      for (const tenant of [OPERATOR, RIVAL]) await importBillFile(db.warehouse, path, { tenant });
    } finally {
      await rm(path, { force: true });
    }
    await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: TARGET, select: ['+tag:finops'], tenant: OPERATOR, trigger: 'api' });

    const ours = (await generate()).json();
    const theirs = await generate('2026-10', RIVAL);
    expect(ours.invoices.map((i: { invoice_id: string }) => i.invoice_id)).toEqual(['sim-tenant-001', 'sim-tenant-002', 'sim-tenant-003'].map((t) => `INV-202610-${t}@${OPERATOR}`));
    // The rival's bill names the operator's customers, but it invoices only the rival itself: it has no cost of its own here, so nothing (and no receipt).
    expect([theirs.statusCode, theirs.json().code]).toEqual([409, 'NOTHING_TO_INVOICE']);
    expect(theirs.headers['x-companyos-receipt']).toBeUndefined();
    const again = (await generate()).json();
    expect(again.invoices.map((i: { new_revision: boolean }) => i.new_revision)).toEqual([false, false, false]);

    // The customer sees its invoice from the operator only; the rival sees none of the operator's, nor its customers' plans or tiers.
    const listed = (await server.api.app.inject({ url: '/v1/finops/invoices', headers: await auth('sim-tenant-002') })).json();
    expect(listed.invoices.map((i: { invoice_id: string; issuer: string }) => [i.invoice_id, i.issuer])).toEqual([[`INV-202610-sim-tenant-002@${OPERATOR}`, OPERATOR]]);
    expect((await server.api.app.inject({ url: '/v1/finops/invoices', headers: await auth(RIVAL) })).json().invoices).toEqual([]);
    const peek = await server.api.app.inject({ url: `/v1/finops/invoices/INV-202610-sim-tenant-002@${OPERATOR}`, headers: await auth(RIVAL) });
    const missing = await server.api.app.inject({ url: '/v1/finops/invoices/INV-202610-nobody@nowhere', headers: await auth(RIVAL) });
    expect([peek.statusCode, peek.json().code]).toEqual([404, 'INVOICE_NOT_FOUND']);
    expect(peek.json().message.replace(`INV-202610-sim-tenant-002@${OPERATOR}`, 'ID')).toBe(missing.json().message.replace('INV-202610-nobody@nowhere', 'ID'));
    for (const url of ['/v1/finops/cogs?period=2026-10&group_by=plan', '/v1/finops/cogs?period=2026-10&group_by=tenant', '/v1/finops/margins?period=2026-10', '/v1/finops/attribution?period=2026-10']) {
      const seen = await server.api.app.inject({ url, headers: await auth(RIVAL) });
      expect(seen.statusCode, `${url}: ${seen.body}`).toBe(200);
      expect(seen.body, url).not.toMatch(/sim-tenant|enterprise|gold|silver|platinum|pro\//);
    }
    const moved = await server.api.app.inject({
      method: 'POST', url: '/v1/finops/pricing:simulate', headers: await auth(RIVAL), payload: { period: '2026-10', tier_moves: { 'sim-tenant-002': 'silver' } },
    });
    expect(moved.json().code).toBe('SCENARIO_INVALID');
    // The operator still sees its whole attribution.
    expect((await server.api.app.inject({ url: '/v1/finops/cogs?period=2026-10&group_by=plan', headers: await auth(OPERATOR) })).body).toContain('enterprise');
  });

  it('refuses non-operators, answers 409 before anything is built, and 400 for a bad period', async () => {
    expect((await generate('2026-10')).json().code).toBe('FINOPS_NOT_BUILT');
    const reader = await generate('2026-10', OPERATOR, 'reader');
    expect(reader.statusCode).toBe(403);
    expect(reader.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: [] });
    expect((await generate('2026-13')).statusCode).toBe(400);
  });
});

describe('An unreachable webhook', () => {
  const db = useWarehouse('duckdb');
  let closedPort = 0;
  beforeEach(async () => {
    // A port that was free a moment ago: nothing listens on it, so the connection is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  const server = useApi(db, {
    transforms: { modelsDir: MODELS, targetDir: TARGET, operatorTenant: OPERATOR },
    get invoiceWebhook() {
      return { url: `http://127.0.0.1:${closedPort}/hook`, secret: SECRET, maxAttempts: 2, backoffMs: 10, timeoutMs: 1000 };
    },
  });

  it('is retried, then recorded as failed with the network error', async () => {
    await buildSimulatedFinops(db.warehouse, TARGET);
    const token = await server.api.token(OPERATOR, 'operator');
    const run = (await server.api.app.inject({ method: 'POST', url: '/v1/finops/invoices:generate?period=2026-10', headers: { authorization: `Bearer ${token}` } })).json();
    expect(run.failed).toBe(3);
    expect(run.invoices[0].delivery).toMatchObject({ outcome: 'failed', attempts: 2, status_code: null });
    expect(run.invoices[0].delivery.error).toMatch(/ECONNREFUSED/);
  });
});
