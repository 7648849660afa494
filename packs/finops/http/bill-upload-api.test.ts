import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../../platform/identity/index.ts';
import { readReceipt } from '../../../kernel/ledger/index.ts';
import { useApi } from '../../../test/support/api.ts';
import { useWarehouse } from '../../../test/support/engines.ts';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const OPERATOR = 'summit-internal';
const HEADER = 'BillingAccountId,InvoiceId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,ServiceName,ProviderName,ChargeDescription,Tags\n';
const row = (i: number, description = 'compute') =>
  `acct-1,INV-1,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,Usage,${i}.25,${i}.25,Compute,SimCloud,${description},"{""tenant"": ""acme""}"\n`;
const SMALL_BILL = HEADER + row(1) + row(2);

/** What the server answered to a request whose head and first body bytes were written by hand, and whether it closed the connection. */
function rawUpload(port: number, headers: Record<string, string>, bodyStart: Buffer): Promise<{ status: number; head: string; bytesSent: number; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let bytesSent = 0;
    let answer: { status: number; head: string; bytesSent: number } | undefined;
    socket.on('connect', () => {
      const head = `POST /v1/finops/bills?file_name=huge.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      socket.write(head);
      socket.write(bodyStart);
      bytesSent = Buffer.byteLength(head) + bodyStart.length;
      // Nothing more is sent: a server that waits for the rest of the claimed body never answers.
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end >= 0 && !answer) answer = { status: Number(received.slice(9, 12)), head: received.slice(0, end).toLowerCase(), bytesSent };
    });
    socket.on('error', reject);
    socket.on('close', () => (answer ? resolve({ ...answer, closedByServer: true }) : reject(new Error(`closed without an answer: ${received}`))));
  });
}

/** POSTs a body produced chunk by chunk (never held whole by the client either). */
function streamUpload(port: number, token: string, body: Readable, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; receipt?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/finops/bills?file_name=big.csv', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) as Record<string, unknown>, receipt: res.headers['x-companyos-receipt'] as string | undefined }));
      },
    );
    // A refused upload may close the connection while the client is still writing.
    req.on('error', (error: NodeJS.ErrnoException) => (['EPIPE', 'ECONNRESET'].includes(error.code ?? '') ? undefined : reject(error)));
    body.pipe(req);
  });
}

/** A request that sends its body only when the server answers 100 Continue. */
function expectContinue(port: number, path: string, headers: Record<string, string>, body: string, announced = Buffer.byteLength(body)): Promise<{ continued: boolean; status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'content-length': announced, expect: '100-continue' } });
    let continued = false;
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ continued, status: res.statusCode! }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => (['EPIPE', 'ECONNRESET'].includes(error.code ?? '') ? undefined : reject(error)));
    req.flushHeaders();
  });
}

function generatedBill(rows: number, description: string): Readable {
  return Readable.from((function* () {
    yield HEADER;
    for (let i = 0; i < rows; i++) yield row(i, description);
  })());
}

const retained = () => {
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

describe('POST /v1/finops/bills: authorized on its headers, streamed to disk', () => {
  const db = useWarehouse('duckdb');
  const uploads = mkdtempSync(join(tmpdir(), 'companyos-upload-test-'));
  afterAll(() => rmSync(uploads, { recursive: true, force: true }));
  const server = useApi(db, { billUploads: { maxBytes: 64 * 1024 * 1024, dir: uploads } });
  const listen = async () => {
    await server.api.app.listen({ port: 0, host: '127.0.0.1' });
    return (server.api.app.server.address() as AddressInfo).port;
  };

  it('refuses a reader\'s 2 GB upload with 403 before the body is sent, reading none of it, and closes the connection', async () => {
    const port = await listen();
    const before = retained();
    const reader = await server.api.token(OPERATOR, 'reader');
    const claimed = { authorization: `Bearer ${reader}`, 'content-type': 'text/csv', 'content-length': String(2 * 1024 ** 3) };
    const refused = await rawUpload(port, claimed, Buffer.alloc(64 * 1024, 'a'));
    expect(refused.status).toBe(403);
    expect(refused.head).toContain('connection: close');
    expect(refused.bytesSent).toBeLessThan(70 * 1024);
    expect(refused.closedByServer).toBe(true);
    // Without a token at all: 401, the same way.
    const anonymous = await rawUpload(port, { 'content-type': 'text/csv', 'content-length': String(2 * 1024 ** 3) }, Buffer.alloc(1024, 'a'));
    expect([anonymous.status, anonymous.closedByServer]).toEqual([401, true]);
    expect(anonymous.head).toContain('connection: close');
    expect(retained() - before).toBeLessThan(8 * 1024 * 1024);
    expect(readdirSync(uploads)).toEqual([]);
    const batches = await db.warehouse.query('SELECT batch_id FROM bill_batches');
    expect(batches).toEqual([]);
  });

  it('tells a client that sent Expect: 100-continue to send its upload only once the policy allowed it', async () => {
    const port = await listen();
    const bill = async (role: Role) =>
      expectContinue(port, '/v1/finops/bills?file_name=expect.csv', { authorization: `Bearer ${await server.api.token(OPERATOR, role)}`, 'content-type': 'text/csv' }, SMALL_BILL);
    // Refused: answered without a 100 Continue, so the body is never sent.
    expect(await bill('reader')).toEqual({ continued: false, status: 403 });
    expect(await bill('operator')).toEqual({ continued: true, status: 200 });
    // Other routes answer 100 Continue once the caller is authenticated.
    const event = JSON.stringify({ specversion: '1.0', id: 'e-1', source: 'test', type: 'test.expect', tenantid: OPERATOR, policyversion: '1' });
    const events = (token?: string) =>
      expectContinue(port, '/v1/events', { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/cloudevents+json' }, event);
    expect(await events(await server.api.token(OPERATOR, 'writer'))).toEqual({ continued: true, status: 202 });
    expect(await events()).toEqual({ continued: false, status: 401 });
    // A body announced larger than the server takes (a 2 GB upload) is refused before a byte of it is sent.
    const huge = await expectContinue(port, '/v1/events', { authorization: `Bearer ${await server.api.token(OPERATOR, 'writer')}`, 'content-type': 'application/json' }, '[]', 2 * 1024 ** 3);
    expect(huge).toEqual({ continued: false, status: 413 });
  });

  it('lets only admins and operators import (the Cedar decision, nothing else), with a receipt committed to the file\'s SHA-256', async () => {
    const allowed: Role[] = [];
    for (const role of ROLES) {
      const token = await server.api.token(OPERATOR, role);
      // A file of its own per role: a file imported before is answered without an import (and without a receipt).
      const bill = SMALL_BILL + row(3 + ROLES.indexOf(role));
      const reply = await server.api.app.inject({
        method: 'POST', url: `/v1/finops/bills?file_name=${role}.csv`, payload: bill, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      });
      if (reply.statusCode === 200) {
        allowed.push(role);
        const receipt = await server.api.app.inject({ url: `/v1/provenance/receipts/${reply.headers['x-companyos-receipt']}`, headers: { authorization: `Bearer ${token}` } });
        const statement = readReceipt(receipt.json().envelope, server.api.app.ledgerStore.keyring.all());
        expect(statement.predicate).toMatchObject({ action: 'import_bills' });
        expect(statement.subject).toEqual([{ name: 'Bills/bills', digest: { sha256: createHash('sha256').update(bill).digest('hex') } }]);
      } else {
        expect([reply.statusCode, reply.json().code], `${role}: ${reply.body}`).toEqual([403, 'POLICY_DENIED']);
        expect(reply.json().decision_id).toMatch(/^[0-9a-f-]{36}$/);
        expect(reply.headers['x-companyos-receipt']).toBeUndefined();
      }
    }
    expect(allowed.sort()).toEqual(['admin', 'operator']);
    const trueCosts = async (role: Role) =>
      (await server.api.app.inject({
        method: 'POST', url: '/v1/finops/simulations/true-costs', payload: { simulation_id: 's', rows: [{ tenant: 'acme', period: '2026-10', currency: 'USD', cost: '1.00' }] }, headers: { authorization: `Bearer ${await server.api.token(OPERATOR, role)}` },
      })).statusCode;
    expect([await trueCosts('operator'), await trueCosts('writer'), await trueCosts('reader')]).toEqual([200, 403, 403]);
  });

  it('answers a file imported before as it was, with no receipt: a receipt means an effect', async () => {
    const token = await server.api.token(OPERATOR, 'operator');
    const send = () => server.api.app.inject({
      method: 'POST', url: '/v1/finops/bills?file_name=again.csv', payload: SMALL_BILL, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    });
    const first = await send();
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['x-companyos-receipt']).toMatch(/^rcpt-/);
    const again = await send();
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ already_imported: true, batch_id: first.json().batch_id });
    expect(again.headers['x-companyos-receipt']).toBeUndefined();
    const [entries] = await server.api.app.platform.state.query<{ n: number }>('SELECT count(*) AS n FROM ledger_entries');
    expect(Number(entries!.n)).toBe(1);
  });

  it('imports a gzip-compressed bill sent as application/gzip, as AWS delivers CUR', async () => {
    const token = await server.api.token(OPERATOR, 'operator');
    const reply = await server.api.app.inject({
      method: 'POST', url: '/v1/finops/bills?file_name=bill.csv.gz', payload: gzipSync(HEADER + row(7) + row(8)), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
    });
    expect(reply.statusCode, reply.body).toBe(200);
    expect(reply.json()).toMatchObject({ rows_read: 2, rows_loaded: 2, rows_parked: 0 });
  });

  it('answers 413 to a file over the limit, declared or found while streaming, and leaves no file and no receipt behind', async () => {
    const port = await listen();
    const admin = await server.api.token(OPERATOR, 'admin');
    const declared = await rawUpload(port, { authorization: `Bearer ${admin}`, 'content-type': 'text/csv', 'content-length': String(65 * 1024 * 1024) }, Buffer.alloc(1024, 'a'));
    expect([declared.status, declared.closedByServer]).toEqual([413, true]);
    // Chunked, so the size shows only while it is read.
    const streamed = await streamUpload(port, admin, generatedBill(80_000, 'x'.repeat(900)), { 'transfer-encoding': 'chunked' });
    expect([streamed.status, streamed.json.code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect(streamed.receipt).toBeUndefined();
    expect(readdirSync(uploads)).toEqual([]);
    expect(await db.warehouse.query('SELECT batch_id FROM bill_batches')).toEqual([]);
  });

  it('streams a 50 MB bill to disk and imports it, holding far less than the file in memory', async () => {
    let whileHandled = 0;
    server.api.app.addHook('onSend', async (request, _reply, payload) => {
      // The handler has stored and imported the file: whatever the request still holds is measured here.
      if (request.url.startsWith('/v1/finops/bills')) whileHandled = retained();
      return payload;
    });
    const port = await listen();
    const before = retained();
    const operator = await server.api.token(OPERATOR, 'operator');
    const rows = 12_500;
    const uploaded = await streamUpload(port, operator, generatedBill(rows, 'x'.repeat(4000)));
    expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(200);
    expect(uploaded.json).toMatchObject({ rows_loaded: rows, rows_parked: 0 });
    expect(whileHandled - before).toBeLessThan(16 * 1024 * 1024);
    expect(readdirSync(uploads)).toEqual([]);
  }, 120_000);
});
