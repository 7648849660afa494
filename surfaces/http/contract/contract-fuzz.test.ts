import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineHarness, type EngineHarness } from '../../../test/support/engines.ts';
import { apiHarness } from '../../../test/support/api.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { renderOpenApiDocument } from '../openapi/openapi-document.ts';
import { contractOperations } from './contract-operations.ts';
import { canBeBroken, invalidRequest, validRequest, type ContractRequest } from './request-generator.ts';
import { refusalProblems, replyProblems } from './response-check.ts';

/** Requests per operation and kind (valid, schema-breaking): the issue asks for at least 100. */
const RUNS = Number(process.env.CONTRACT_FUZZ_RUNS ?? 100);
const OPERATOR = 'summit-internal';
/** Operations that answer a body of refused items with 202 and each item parked with its reason (documented in their 202 schema), not with a 4xx. */
const PARKS_REFUSED_ITEMS = new Set(['ingestEvents']);
/** A tiny project, so that a generated build request builds in milliseconds. */
const MODELS = fileURLToPath(new URL('../../../platform/transforms/fixtures/good/', import.meta.url));

const document = await renderOpenApiDocument();
const operations = await contractOperations(document);

describe('the API contract, fuzzed: generated requests through the real server', () => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    harness = await engineHarness('duckdb');
    warehouse = await harness.open();
    const api = await apiHarness(warehouse, { transforms: { modelsDir: MODELS, targetDir: `${harness.dataDir}/target`, operatorTenant: OPERATOR } });
    app = api.app;
    token = await api.token(OPERATOR, 'admin', 'operator', 'writer', 'reader', 'connector', 'approver', 'auditor');
  });
  afterAll(async () => {
    await app?.close();
    await warehouse?.close();
    await harness?.cleanup();
  });

  const send = (request: ContractRequest) =>
    app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, payload: request.payload });

  it.each(operations.map((op) => [op.id, op] as const))('%s: valid requests answer as documented, never 5xx', async (_id, op) => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), async (seed) => {
        const request = validRequest(op, seed, token);
        if (!request) return;
        sent++;
        const reply = await send(request);
        expect(replyProblems(op, reply).join('; '), `${request.method} ${request.url} ${request.payload ?? ''}`.slice(0, 600)).toBe('');
      }),
      { numRuns: RUNS, seed: 20261201, endOnFailure: true },
    );
    expect(sent, 'requests the generator could make from the schemas').toBeGreaterThanOrEqual(RUNS * 0.9);
  });

  it.each(operations.filter(canBeBroken).map((op) => [op.id, op] as const))('%s: requests that break the schema get a 4xx with a catalogue code', async (_id, op) => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), async (seed) => {
        const request = invalidRequest(op, seed, token);
        if (!request) return;
        sent++;
        const reply = await send(request);
        const where = `${request.violates}: ${request.method} ${request.url} ${request.payload ?? ''}`.slice(0, 600);
        if (PARKS_REFUSED_ITEMS.has(op.id) && reply.statusCode === 202) {
          // Ingest keeps the batch and parks each event it refuses, listed in `rejected`: nothing it was sent is dropped silently.
          expect((JSON.parse(reply.body) as { rejected: unknown[] }).rejected.length, where).toBeGreaterThan(0);
        } else {
          expect(refusalProblems(reply).join('; '), where).toBe('');
        }
        expect(replyProblems(op, reply).join('; '), where).toBe('');
      }),
      { numRuns: RUNS, seed: 20261201, endOnFailure: true },
    );
    expect(sent, 'schema-breaking requests the mutations could make').toBeGreaterThanOrEqual(RUNS * 0.9);
  });
});
