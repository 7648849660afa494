/**
 * What a credential costs a request, in one run.
 *
 *   npm run bench:identity -- [--requests 5000]
 *
 * The same gated read (`GET /v1/events/stats`, decided by Cedar) through the platform's HTTP stack
 * in this process (Fastify inject, embedded DuckDB), one request at a time, with:
 * 1. Baseline: a platform token (HS256, verified once then remembered until it expires).
 * 2. An identity provider's access token (RS256 against its JWKS, from `oidc-provider` on loopback; the
 *    mapping in force and the SCIM directory's deprovisioning are read on each request).
 * 3. An API key (a state-store read and a SHA-256 per request, so a revocation applies to the next one).
 * 4. A session lookup as a browser's page request makes it (state-store read), without rendering a page.
 * Prints requests/s and p50/p95/p99 per credential and each as a ratio of the baseline's p50.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openWarehouse } from '../../kernel/warehouse/index.ts';
import { checkIdentityProviders, TokenAuthority } from '../../platform/identity/index.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';
import { buildServer } from '../../surfaces/http/index.ts';
import { providerKey, startOidcProvider } from '../../test/support/oidc-provider.ts';
import { percentiles, report, type Measurement } from '../lib/stats.ts';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '5000' } } });
const N = Number(args.requests);
const API = 'https://api.bench.companyos.test';
const SECRET = 'benchmark-secret-benchmark-secret-0123456789';

const dataDir = await mkdtemp(join(tmpdir(), 'companyos-bench-identity-'));
const warehouse = await openWarehouse({ engine: 'duckdb', dataDir });
await migratePlatform(warehouse);
const idp = await startOidcProvider({ keys: [await providerKey('k1')], clients: { 'bench-etl': 'bench-etl-secret-0123456789abcdef' }, audiences: [API] });
const tokens = new TokenAuthority(SECRET);
const providers = checkIdentityProviders({ providers: [{ name: 'bench-idp', tenant: 'acme', issuer: idp.issuer, audience: API, group_roles: {}, machine_clients: { 'bench-etl': ['reader'] } }] });
const app = await buildServer({ warehouse, tokens, logLevel: 'silent', identity: { providers }, selfMetering: { sample: 0 } });
try {
  const admin = await tokens.mint({ tenant: 'acme', roles: ['admin'], subject: 'bench' });
  const key = (await app.inject({ method: 'POST', url: '/v1/api-keys', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'bench', scopes: ['read'] } })).json().key as string;
  const credentials: [string, string][] = [
    ['platform token (baseline)', await tokens.mint({ tenant: 'acme', roles: ['reader'], subject: 'reader' })],
    ['provider token (RS256, JWKS)', await idp.clientToken('bench-etl', 'bench-etl-secret-0123456789abcdef', API)],
    ['API key', key],
  ];
  const measurements: Measurement[] = [];
  for (const [name, credential] of credentials) {
    const call = () => app.inject({ url: '/v1/events/stats', headers: { authorization: `Bearer ${credential}` } });
    for (let i = 0; i < 200; i++) await call(); // warm-up
    const batchMs: number[] = [];
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      const response = await call();
      if (response.statusCode !== 200) throw new Error(`${name}: ${response.statusCode} ${response.body}`);
      batchMs.push(performance.now() - t);
    }
    measurements.push({ name, events: N, seconds: (performance.now() - started) / 1000, batchMs });
  }
  const session = await app.platform.identity.sessions.open({ tenant: 'acme', roles: ['reader'], subject: 'bench-idp:u1', env: 'dev', region: 'local' }, 'bench-idp');
  const lookups: number[] = [];
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    if (!(await app.platform.identity.sessions.principal(session.id))) throw new Error('the session ended');
    lookups.push(performance.now() - t);
  }
  measurements.push({ name: 'session lookup (no HTTP)', events: N, seconds: (performance.now() - started) / 1000, batchMs: lookups });

  console.log(`${N.toLocaleString('en-US')} sequential gated reads per credential (requests in the events column)\n`);
  console.log(report(measurements));
  const base = percentiles(measurements[0]!.batchMs).p50;
  console.log('');
  for (const m of measurements.slice(1, 3)) console.log(`${m.name}: p50 ${(percentiles(m.batchMs).p50 / base).toFixed(2)}× the baseline's`);
} finally {
  await app.close();
  await idp.stop();
  await warehouse.close();
  await rm(dataDir, { recursive: true, force: true });
}
