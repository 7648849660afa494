import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { markerMaker, markersIn, TEXT_AS_WRITTEN_ENV } from '../../test/support/byte-search.ts';
import { stateOptionsFor, useWarehouse } from '../../test/support/engines.ts';
import { apiHarness, type ApiHarness } from '../../test/support/api.ts';
import { createPlatform, type Platform } from '../compose/index.ts';
import { parseErasureScope } from '../../platform/erasure/index.ts';

// The warehouse (DuckDB) and state.duckdb (beside ClickHouse) this file's byte searches read: text stored as written.
Object.assign(process.env, TEXT_AS_WRITTEN_ENV);

const WHY = { category: 'data-subject-request', text: 'erasure request DSR-7 received by the DPO' };

describe('POST /v1/admin/purges: a subject\'s erasure, requested as a dual-controlled run of the caller\'s tenant', () => {
  const db = useWarehouse('duckdb');
  let dir: string;
  let platform: Platform;
  let api: ApiHarness;
  const tokens: Record<string, string> = {};
  const call = (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    api.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-purges-'));
    platform = await createPlatform({ warehouse: db.warehouse, state: stateOptionsFor(db.warehouse), backupsDir: join(dir, 'backups'), exportsDir: join(dir, 'exports') });
    api = await apiHarness(db.warehouse, { platform });
    tokens.ana = await api.principal('ana', 'acme', 'operator');
    tokens.bo = await api.principal('bo', 'acme', 'approver');
    tokens.cy = await api.principal('cy', 'acme', 'admin');
    tokens.dee = await api.principal('dee', 'acme', 'operator');
    tokens.writer = await api.principal('wes', 'acme', 'writer');
    tokens.globex = await api.principal('gil', 'globex', 'admin');
  });
  afterEach(async () => {
    await api.app.close();
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('needs an approver and an admin (not the requester), erases only the caller\'s tenant\'s subject, and another tenant cannot see or approve it', async () => {
    const event = (tenant: string, id: string, subject: string) => ({ specversion: '1.0', id, source: '/crm', type: 'usage.recorded', subject, time: new Date().toISOString(), tenantid: tenant, policyversion: 'v1', data: { units: 1 } });
    expect((await call('ana', 'POST', '/v1/events', [event('acme', 'a-1', 'customer-42'), event('acme', 'a-2', 'customer-43')])).statusCode).toBe(202);
    expect((await call('globex', 'POST', '/v1/events', [event('globex', 'g-1', 'customer-42')])).statusCode).toBe(202);

    const requested = await call('ana', 'POST', '/v1/admin/purges', { subject: 'customer-42', rationale: WHY });
    expect(requested.statusCode, requested.body).toBe(201);
    const run = requested.json();
    expect(run).toMatchObject({ workflow_type: 'erasure', status: 'awaiting-approval', requested_by: 'acme/ana' });
    expect(run.steps.find((s: { step: string; phase: string }) => s.step === 'preflight' && s.phase === 'completed').output.result).toMatchObject({ events: 1, quarantine: 0 });

    // Another tenant's admin neither sees the run nor approves it; the requester cannot approve; one approval is not enough.
    expect((await call('globex', 'GET', `/v1/workflows/runs/${run.run_id}`)).statusCode).toBe(404);
    expect((await call('globex', 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY })).statusCode).toBe(404);
    expect((await call('ana', 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY })).statusCode).toBe(403);
    expect((await call('bo', 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY })).statusCode).toBe(201);
    expect((await call('dee', 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).statusCode).toBe(409);
    expect((await call('cy', 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY })).statusCode).toBe(201);
    const executed = await call('dee', 'POST', `/v1/workflows/runs/${run.run_id}/execute`);
    expect(executed.json().status, executed.body.slice(0, 1500)).toBe('succeeded');
    // The run no longer holds the subject; what went is in its place.
    const after = (await call('ana', 'GET', `/v1/workflows/runs/${run.run_id}`)).json();
    expect(after.params).toMatchObject({ subject: null, erased: { counts: { events: 1 } } });
    expect(JSON.stringify(after)).not.toContain('customer-42');

    const left = await db.warehouse.query<{ tenant_id: string; subject: string }>("SELECT tenant_id, subject FROM events WHERE subject LIKE 'customer-4%' ORDER BY tenant_id, subject");
    expect(left).toEqual([{ tenant_id: 'acme', subject: 'customer-43' }, { tenant_id: 'globex', subject: 'customer-42' }]);
    const manifests = (await call('ana', 'GET', '/v1/provenance/purge-manifests')).json().manifests;
    expect(manifests.map((m: { purge_id: string }) => m.purge_id)).toContain(`erasure-${run.run_id}`);
    expect((await call('globex', 'GET', '/v1/provenance/purge-manifests')).json().manifests).toEqual([]);
  });

  it('erases a subject whose id holds quotes and LIKE wildcards exactly: nothing it would match as a pattern goes', async () => {
    const odd = "o'brien_%42";
    const event = (id: string, subject: string) => ({ specversion: '1.0', id, source: '/crm', type: 'usage.recorded', subject, time: new Date().toISOString(), tenantid: 'acme', policyversion: 'v1', data: { units: 1 } });
    expect((await call('ana', 'POST', '/v1/events', [event('o-1', odd), event('o-2', "o'brienX%42"), event('o-3', 'o-brien_a42')])).statusCode).toBe(202);
    // Quarantined payloads: one holding the id, one only matching it as a LIKE pattern.
    await call('ana', 'POST', '/v1/events', [{ specversion: '1.0', id: 'q-1', source: '/crm', subject: odd, tenantid: 'acme' }, { specversion: '1.0', id: 'q-2', source: '/crm', subject: "o'brienZZ42", tenantid: 'acme' }]);
    const run = (await call('ana', 'POST', '/v1/admin/purges', { subject: odd, rationale: WHY })).json();
    expect(run.steps.find((s: { step: string; phase: string }) => s.step === 'preflight' && s.phase === 'completed').output.result).toMatchObject({ events: 1, quarantine: 1 });
    for (const who of ['bo', 'cy']) await call(who, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY });
    expect((await call('dee', 'POST', `/v1/workflows/runs/${run.run_id}/execute`)).json().status).toBe('succeeded');
    const left = await db.warehouse.query<{ subject: string }>("SELECT subject FROM events WHERE tenant_id = 'acme' AND source = '/crm' ORDER BY subject");
    expect(left.map((r) => r.subject).sort()).toEqual(["o'brienX%42", 'o-brien_a42'].sort());
    const parked = await db.warehouse.query<{ event_id: string }>("SELECT event_id FROM events_quarantine WHERE tenant_id = 'acme' ORDER BY event_id");
    expect(parked.map((r) => r.event_id)).toEqual(['q-2']);
  });

  it('refuses a bad scope with 400 and a sentence, and a role that may not run workflows with 403', async () => {
    const bad = [
      { subject: 'short', rationale: WHY },
      { subject: 'customer-42', artifacts: ['everything'], rationale: WHY },
      { subject: 'customer-42', artifacts: [], rationale: WHY },
      { subject: 'customer-42', artifacts: ['raw-events'], rationale: WHY },
      { subject: 'customer-42', rationale: { category: 'data-subject-request', text: 'too short' } },
      { subject: 'customer-42', rationale: { category: 'because', text: 'erasure request DSR-7 received by the DPO' } },
      { subject: ' customer-42', rationale: WHY },
    ];
    for (const body of bad) {
      const response = await call('ana', 'POST', '/v1/admin/purges', body);
      expect(response.statusCode, `${JSON.stringify(body)} → ${response.body}`).toBe(400);
      expect(response.json().message.length).toBeGreaterThan(10);
    }
    expect((await call('writer', 'POST', '/v1/admin/purges', { subject: 'customer-42', rationale: WHY })).statusCode).toBe(403);
    // Naming another tenant is refused, not quietly turned into the caller's own.
    const elsewhere = await call('ana', 'POST', '/v1/admin/purges', { tenant: 'globex', subject: 'customer-42', rationale: WHY });
    expect([elsewhere.statusCode, elsewhere.json().code]).toEqual([403, 'ERASURE_TENANT_FORBIDDEN']);
    expect((await call('ana', 'POST', '/v1/admin/purges', { tenant: 'acme', subject: 'customer-42', rationale: WHY })).statusCode).toBe(201);
  });

  it('parses a scope: every artifact by default, raw events only with their models', () => {
    expect(parseErasureScope({ subject: 'customer-42' }).artifacts).toEqual(['raw-events', 'quarantine', 'models', 'exports', 'evidence', 'receipt-disclosures', 'backups']);
    expect(parseErasureScope({ subject: 'customer-42', artifacts: ['evidence', 'exports'] }).artifacts).toEqual(['exports', 'evidence']);
    expect(() => parseErasureScope({ subject: 'cust\u0000omer-42' })).toThrow(/control characters/);
    expect(() => parseErasureScope({ subject: 'customer-42', artifacts: ['raw-events'] })).toThrow(/include models/);
  });
});

describe('erasure on ClickHouse: the subject\'s rows leave the server\'s data folder, mutations and replaced parts included', () => {
  const db = useWarehouse('clickhouse');
  const serverData = inject('clickhouseDataPath');
  let dir: string;
  let platform: Platform;
  let api: ApiHarness;
  const tokens: Record<string, string> = {};
  const call = (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    api.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-purges-ch-'));
    platform = await createPlatform({ warehouse: db.warehouse, state: stateOptionsFor(db.warehouse), backupsDir: join(dir, 'backups'), exportsDir: join(dir, 'exports') });
    api = await apiHarness(db.warehouse, { platform });
    tokens.ana = await api.principal('ana', 'acme', 'operator');
    tokens.bo = await api.principal('bo', 'acme', 'approver');
    tokens.cy = await api.principal('cy', 'acme', 'admin');
    tokens.dee = await api.principal('dee', 'acme', 'operator');
  });
  afterEach(async () => {
    await api.app.close();
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!serverData)('leaves 0 markers in the ClickHouse data path and in the state file beside it', { timeout: 120_000 }, async () => {
    const mark = markerMaker();
    const subject = mark();
    const eventMarkers = Array.from({ length: 4 }, () => mark());
    const quarantineMarker = mark();
    const event = (id: string, who: string, data: Record<string, unknown>) => ({ specversion: '1.0', id, source: '/crm', type: 'usage.recorded', subject: who, time: new Date().toISOString(), tenantid: 'acme', policyversion: 'v1', data });
    const sent = await call('ana', 'POST', '/v1/events', [
      ...eventMarkers.map((m, i) => event(`s-${i}`, subject, { note: m, pad: randomBytes(2000).toString('hex') })),
      event('n-0', 'customer-neighbour', { units: 1 }),
      { specversion: '1.0', id: 'q-0', source: '/crm', subject, tenantid: 'acme', data: { note: quarantineMarker } },
    ]);
    expect(sent.json()).toMatchObject({ accepted: 5 });
    // Evidence in the state store beside ClickHouse (a DuckDB file of its own).
    const evidenceMarker = mark();
    const evidence = await call('bo', 'POST', '/v1/provenance/evidence', { items: [{ kind: 'transcript', name: 'dsr-call.txt', content: Buffer.from(`call with ${subject}: ${evidenceMarker}`).toString('base64') }] });
    expect(evidence.statusCode).toBe(201);
    expect(Object.keys(await markersIn(db.harness.dataDir, [evidenceMarker]))).toEqual([evidenceMarker]);
    const markers = [subject, ...eventMarkers, quarantineMarker, evidenceMarker];
    const before = await markersIn(serverData!, markers);
    // LZ4 keeps a value whole when it does not repeat within its block: the subject, the quarantined payload and at least one event's marker.
    expect(Object.keys(before), JSON.stringify(before)).toEqual(expect.arrayContaining([subject, quarantineMarker]));
    expect(eventMarkers.some((m) => m in before), JSON.stringify(before)).toBe(true);

    // A copy an operator froze by hand (clickhouse-backup does this) holds the subject too, for ever unless swept.
    await db.warehouse.execute("ALTER TABLE events FREEZE WITH NAME 'operator_copy'");
    expect(Object.keys(await markersIn(join(serverData!, 'shadow'), markers))).toContain(subject);
    const run = (await call('ana', 'POST', '/v1/admin/purges', { subject, artifacts: ['raw-events', 'quarantine', 'models', 'evidence', 'backups'], rationale: WHY })).json();
    for (const who of ['bo', 'cy']) expect((await call(who, 'POST', `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY })).statusCode).toBe(201);
    const executed = await call('dee', 'POST', `/v1/workflows/runs/${run.run_id}/execute`);
    expect(executed.json().status, executed.body.slice(0, 1500)).toBe('succeeded');

    expect(await markersIn(serverData!, markers)).toEqual({});
    expect(await markersIn(db.harness.dataDir, markers)).toEqual({});
    // The backup the erasure took in place of the older ones (FREEZE of the tables after the deletes) holds none either.
    expect((await readdir(join(dir, 'backups', 'backups'))).length).toBe(1);
    expect(await markersIn(join(dir, 'backups'), markers)).toEqual({});
    const transcript = JSON.stringify(executed.json().steps);
    expect(transcript).toMatch(/[1-9]\d* frozen copies removed/);
    const [left] = await db.warehouse.query<{ n: number }>("SELECT count() AS n FROM events WHERE tenant_id = 'acme' AND subject = 'customer-neighbour'");
    expect(Number(left!.n)).toBe(1);
  });
});
