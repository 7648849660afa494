import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { TestClock } from '../../test/support/test-clock.ts';

const INCIDENT = { category: 'incident', text: 'INC-5120: read the failed invoices of acme' };
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

describe('RFC 8693 token exchange: an executor token bound to one approved run, its window and audience', () => {
  const db = useWarehouse('duckdb');
  const clock = new TestClock(new Date());
  const server = useApi(db, { clock, leaseSweepMs: 3_600_000 });

  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  const exchange = async (fields: Record<string, string>) => {
    const response = await server.api.app.inject({
      method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: EXCHANGE, subject_token_type: ACCESS_TOKEN, ...fields }).toString(),
    });
    return { status: response.statusCode, body: response.json() };
  };
  const approvedRun = async () => {
    const [ops, boss] = await Promise.all([server.api.principal('ops', 'acme', 'operator'), server.api.principal('boss', 'acme', 'approver')]);
    const run = (await call(ops, 'POST', '/v1/workflows/types/temporary-access/runs', { rationale: INCIDENT, params: { grantee: 'dana', role: 'reader', duration_minutes: 30 } })).json();
    expect((await call(boss, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: INCIDENT })).json().status).toBe('approved');
    return run as { run_id: string; approval_expires_at: string };
  };

  it('mints a token with act and the run as audience, which executes that run and nothing else', async () => {
    const run = await approvedRun();
    const other = await approvedRun();
    const cy = await server.api.principal('cy', 'acme', 'operator');
    const machine = (await call(await server.api.principal('admin', 'acme', 'admin'), 'POST', '/v1/api-keys', { name: 'executor-bot', scopes: ['read'] })).json();
    const issued = await exchange({ subject_token: cy, audience: `workflow-run:${run.run_id}`, actor_token: machine.key, actor_token_type: ACCESS_TOKEN });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(issued.body).toMatchObject({ issued_token_type: ACCESS_TOKEN, token_type: 'Bearer' });
    const claims = decodeJwt(issued.body.access_token);
    expect([claims.aud, claims.act, claims.sub]).toEqual([`workflow-run:${run.run_id}`, { sub: `acme/api-key:${machine.key_id}` }, 'cy']);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(15 * 60);
    expect(claims.exp! * 1000).toBeLessThanOrEqual(Date.parse(run.approval_expires_at));
    // Its own run only: not another run, not any other route.
    const token = issued.body.access_token as string;
    expect((await call(token, 'POST', `/v1/workflows/runs/${other.run_id}/execute`)).json().code).toBe('TOKEN_AUDIENCE_FORBIDDEN');
    expect((await call(token, 'GET', '/v1/events/stats')).json().code).toBe('TOKEN_AUDIENCE_FORBIDDEN');
    expect((await call(token, 'GET', '/v1/workflows/runs')).json().code).toBe('TOKEN_AUDIENCE_FORBIDDEN');
    const executed = await call(token, 'POST', `/v1/workflows/runs/${run.run_id}/execute`);
    expect([executed.statusCode, executed.json().status]).toEqual([200, 'active']);
    // Exchanged once more: refused.
    expect((await exchange({ subject_token: token, audience: `workflow-run:${run.run_id}` })).body.error).toBe('invalid_request');
  });

  it('refuses a run not approved, another tenant\'s run, a subject who may not execute, a run past its approval window, and a malformed request', async () => {
    const ops = await server.api.principal('ops', 'acme', 'operator');
    const waiting = (await call(ops, 'POST', '/v1/workflows/types/temporary-access/runs', { rationale: INCIDENT, params: { grantee: 'dana', role: 'reader', duration_minutes: 30 } })).json();
    expect((await exchange({ subject_token: ops, audience: `workflow-run:${waiting.run_id}` })).body).toMatchObject({ error: 'invalid_target', code: 'TOKEN_EXCHANGE_FORBIDDEN' });
    const run = await approvedRun();
    const globex = await server.api.principal('gil', 'globex', 'operator');
    expect((await exchange({ subject_token: globex, audience: `workflow-run:${run.run_id}` })).body).toMatchObject({ error: 'invalid_target', code: 'WORKFLOW_NOT_FOUND' });
    const reader = await server.api.principal('rita', 'acme', 'reader');
    expect((await exchange({ subject_token: reader, audience: `workflow-run:${run.run_id}` })).body.code).toBe('TOKEN_EXCHANGE_FORBIDDEN');
    expect((await exchange({ subject_token: 'not-a-token', audience: `workflow-run:${run.run_id}` })).body.error).toBe('invalid_grant');
    expect((await exchange({ subject_token: ops, audience: 'https://elsewhere.example' })).body.error).toBe('invalid_request');
    expect((await exchange({ subject_token: ops, audience: `workflow-run:${run.run_id}`, grant_type: 'client_credentials' })).status).toBe(400);
    clock.advance(Date.parse(run.approval_expires_at) - clock.now().getTime() + 1000);
    expect((await exchange({ subject_token: ops, audience: `workflow-run:${run.run_id}` })).body).toMatchObject({ error: 'invalid_target', code: 'WORKFLOW_APPROVAL_EXPIRED' });
  });
});
