import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness } from '../../test/support/api.ts';
import { engineHarness, type EngineHarness } from '../../test/support/engines.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';

/** A raw client: what the server wrote, and a promise that settles when the server closes the connection. */
interface RawClient {
  socket: Socket;
  received(): string;
  closed: Promise<void>;
}

async function rawClient(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {}); // a reset is one way of being closed
  const closed = once(socket, 'close').then(() => undefined);
  await once(socket, 'connect');
  return { socket, received: () => received, closed };
}

/** Writes `text` one byte per `everyMs` until the socket closes. */
function drip(client: RawClient, text: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (client.socket.destroyed || at >= text.length) return clearInterval(timer);
    client.socket.write(text[at++]!);
  }, everyMs);
  void client.closed.then(() => clearInterval(timer));
}

async function request(client: RawClient, path: string): Promise<string> {
  const before = client.received().length;
  client.socket.write(`GET ${path} HTTP/1.1\r\nhost: test\r\n\r\n`);
  while (!/\r\n\r\n[\s\S]*\}$/.test(client.received().slice(before))) await once(client.socket, 'data');
  return client.received().slice(before);
}

describe('slow and greedy clients', () => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  let app: FastifyInstance;
  let port: number;
  let token: string;

  beforeAll(async () => {
    harness = await engineHarness('duckdb');
    warehouse = await harness.open();
    const api = await apiHarness(warehouse, {
      connectionLimits: { headersTimeoutMs: 300, requestTimeoutMs: 800, keepAliveTimeoutMs: 10_000, maxConnectionsPerIp: 3 },
    });
    app = api.app;
    token = await api.token('acme');
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app?.close();
    await warehouse?.close();
    await harness?.cleanup();
  });

  it('cuts off a body dripped slower than the request timeout with 408 REQUEST_TIMEOUT', { timeout: 20_000 }, async () => {
    const client = await rawClient(port);
    const body = JSON.stringify({ padding: 'x'.repeat(400) });
    client.socket.write(
      `POST /v1/events HTTP/1.1\r\nhost: test\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    // 400+ bytes at one per 20 ms would take 8 s: the 800 ms request timeout ends it long before.
    drip(client, body, 20);
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(client.received()).toContain('"code":"REQUEST_TIMEOUT"');
  });

  it('cuts off headers dripped slower than the headers timeout', { timeout: 20_000 }, async () => {
    const client = await rawClient(port);
    drip(client, `GET /healthz HTTP/1.1\r\nhost: test\r\nx-padding: ${'y'.repeat(400)}\r\n\r\n`, 20);
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('refuses the connection beyond the cap from one address, and takes one again once another closes', { timeout: 20_000 }, async () => {
    const held = await Promise.all([rawClient(port), rawClient(port), rawClient(port)]);
    for (const client of held) expect(await request(client, '/healthz')).toMatch(/^HTTP\/1\.1 200 /);

    const extra = await rawClient(port);
    await extra.closed;
    expect(extra.received()).toMatch(/^HTTP\/1\.1 429 /);
    expect(extra.received()).toContain('"code":"TOO_MANY_CONNECTIONS"');
    // The three held ones still work.
    expect(await request(held[0]!, '/healthz')).toMatch(/^HTTP\/1\.1 200 /);

    held[1]!.socket.end();
    await held[1]!.closed;
    // The server may see that close a moment after the client does: a refused attempt is retried.
    let answer = '';
    for (let attempt = 0; attempt < 50 && !answer.startsWith('HTTP/1.1 200'); attempt++) {
      const again = await rawClient(port);
      answer = await Promise.race([request(again, '/healthz'), again.closed.then(() => again.received())]);
      again.socket.destroy();
    }
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    for (const client of [held[0]!, held[2]!]) client.socket.destroy();
  });
});
