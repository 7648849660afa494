import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  hashLeaf, openEnvelope, parseVerifierKey, readReceipt, revealDisclosures, rootFromLeafHashes, verifyCheckpoint, verifyRedactions,
  type LedgerKey, type RedactionMarker,
} from '../kernel/ledger/index.ts';
import { DuckDBWarehouse } from '../kernel/warehouse/index.ts';
import type { ErasureManifest } from '../platform/erasure/index.ts';
import { markerMaker, markersIn, TEXT_AS_WRITTEN_ENV } from './support/byte-search.ts';
import { killAllCliProcesses, runCli, startPlatform, TempDirs } from './support/cli.ts';
import { waitFor } from './support/wait-for.ts';

afterEach(async () => {
  await killAllCliProcesses();
});

const mark = markerMaker();

describe('erasure: a subject leaves no recoverable byte behind, and every receipt still verifies (embedded DuckDB)', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  it('plants the subject across events, quarantine, models, exports, evidence, receipts and backups; a dual-controlled purge leaves 0 markers', { timeout: 300_000 }, async () => {
    const dataDir = await dirs.make();
    const platform = await startPlatform(dataDir, ['--no-seed'], { env: { COMPANYOS_BACKUP_SHIPPING: 'on', ...TEXT_AS_WRITTEN_ENV }, timeoutMs: 90_000 });
    const token = async (tenant: string, subject: string, role: string) => (await runCli(['token', '--tenant', tenant, '--role', role, '--subject', subject], { dataDir })).stdout.trim();
    const [alice, bob, carol, dave, globex, operator] = [
      await token('acme', 'alice', 'operator'), await token('acme', 'bob', 'approver'), await token('acme', 'carol', 'admin'),
      await token('acme', 'dave', 'operator'), await token('globex', 'gina', 'writer'), await token('summit-internal', 'ops', 'operator'),
    ];
    const call = async (bearer: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${platform.url}${path}`, {
        method, headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const subject = mark();
    const event = (tenant: string, id: string, who: string, type: string, data: Record<string, unknown>) => ({
      specversion: '1.0', id, source: '/crm', type, subject: who, time: new Date().toISOString(), tenantid: tenant, policyversion: 'v1', data,
    });
    // One marker a value: a value repeated across rows is compressed into symbols and never appears whole in the file.
    const eventMarkers = Array.from({ length: 6 }, () => mark());
    const leadSource = mark();
    const quarantineMarker = mark();
    const evidenceMarker = mark();
    const rationaleMarker = mark();
    const markers = [subject, ...eventMarkers, leadSource, quarantineMarker, evidenceMarker, rationaleMarker];

    // Events: the subject's (large enough to be stored uncompressed in the v1.0 format), a neighbour's in the same tenant, and another tenant's.
    const subjects = eventMarkers.map((m, i) => event('acme', `s-${i}`, subject, 'usage.recorded', { note: `${subject} ${m}`, pad: randomBytes(4000).toString('hex') }));
    const leads = [0, 1].map((i) => event('acme', `l-${i}`, subject, 'revops.leads_ingested_total', { lead_source: leadSource }));
    const neighbours = Array.from({ length: 5 }, (_, i) => event('acme', `n-${i}`, 'customer-neighbour', 'revops.leads_ingested_total', { lead_source: 'web' }));
    expect((await call(alice, 'POST', '/v1/events', [...subjects, ...leads, ...neighbours])).body).toMatchObject({ accepted: 13 });
    expect((await call(globex, 'POST', '/v1/events', [event('globex', 'g-0', 'globex-customer', 'usage.recorded', { units: 1 })])).body).toMatchObject({ accepted: 1 });
    expect((await call(globex, 'POST', '/v1/entities', { type: 'Asset', name: 'globex-db' })).status).toBe(201);
    // A quarantined payload naming the subject (no type).
    const refused = await call(alice, 'POST', '/v1/events', [{ specversion: '1.0', id: 'q-0', source: '/crm', subject, tenantid: 'acme', data: { note: quarantineMarker } }]);
    expect((refused.body.rejected as unknown[]).length).toBe(1);
    // Evidence whose content names the subject, and a dual-controlled delete whose approval rationale (a hidden receipt field) does.
    const evidence = await call(bob, 'POST', '/v1/provenance/evidence', { items: [{ kind: 'transcript', name: 'dsr-call.txt', content: Buffer.from(`call with ${subject}: ${evidenceMarker}`).toString('base64') }] });
    expect(evidence.status).toBe(201);
    const entity = await call(alice, 'POST', '/v1/entities', { type: 'Asset', name: 'crm-record-7' });
    const entityId = entity.body.id as string;
    expect((await call(alice, 'DELETE', `/v1/entities/${entityId}`)).status).toBe(202);
    const approval = await call(bob, 'POST', '/v1/approvals', { entity_id: entityId, action: 'delete', rationale: { category: 'decommission', text: `record of ${subject} retired ${rationaleMarker}` } });
    expect(approval.status).toBe(201);
    const deleted = await call(alice, 'DELETE', `/v1/entities/${entityId}`);
    expect(deleted.status).toBe(200);
    const deleteReceipt = deleted.body.receipt_id as string;
    // An export of the tenant's events, and the models built.
    const exportRun = await call(alice, 'POST', '/v1/workflows/types/tenant-export/runs', { rationale: { category: 'customer-request', text: 'the customer asked for a copy of its data' }, params: {} });
    const exportId = exportRun.body.run_id as string;
    await call(bob, 'POST', `/v1/workflows/runs/${exportId}/approvals`, { decision: 'approve', rationale: { category: 'customer-request', text: 'checked the preflight count' } });
    expect((await call(dave, 'POST', `/v1/workflows/runs/${exportId}/execute`)).body.status).toBe('succeeded');
    expect((await call(operator, 'POST', '/v1/transforms/build', {})).status).toBe(200);

    // What verifiers saw before the erasure: each tenant's signed checkpoint (stored, and checked again at the end).
    for (const bearer of [alice, globex, operator]) expect((await call(bearer, 'GET', '/v1/provenance/checkpoint')).status).toBe(200);
    const placesOf = (found: Record<string, Record<string, number>>) => new Set(Object.values(found).flatMap((hits) => Object.keys(hits).map((path) => path.split('/')[0])));
    let before: Record<string, Record<string, number>> = {};
    // The backup shipper copies the warehouse on its own clock.
    await waitFor(async () => placesOf(before = await markersIn(dataDir, markers)).has('backups'), 'a shipped backup holding the tenant\'s data', 60_000);
    const places = placesOf(before);
    expect([...places].sort(), JSON.stringify(before, null, 1)).toEqual(expect.arrayContaining(['backups', 'exports']));
    expect(Object.keys(before[subject] ?? {}).some((path) => path.startsWith('warehouse.duckdb')), JSON.stringify(before[subject])).toBe(true);
    expect(Object.keys(before)).toEqual(expect.arrayContaining([leadSource, evidenceMarker, rationaleMarker]));

    // The erasure: requested by alice, approved by an approver and an admin, executed by a fourth person.
    const requested = await call(alice, 'POST', '/v1/admin/purges', { subject, rationale: { category: 'data-subject-request', text: 'erasure request DSR-118 received by the DPO' } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const runId = requested.body.run_id as string;
    expect(requested.body.status).toBe('awaiting-approval');
    const preflight = (requested.body.steps as { step: string; phase: string; output: { result: { events: number; quarantine: number }; transcript: string[] } }[]).find((s) => s.step === 'preflight' && s.phase === 'completed')!;
    expect(preflight.output.result).toMatchObject({ events: 8, quarantine: 1 });
    expect(JSON.stringify(preflight.output)).not.toContain(subject);
    expect((await call(alice, 'POST', `/v1/workflows/runs/${runId}/approvals`, { decision: 'approve', rationale: { category: 'data-subject-request', text: 'I asked for it myself' } })).status).toBe(403);
    for (const approver of [bob, carol]) {
      const approved = await call(approver, 'POST', `/v1/workflows/runs/${runId}/approvals`, { decision: 'approve', rationale: { category: 'data-subject-request', text: 'identity of the requester checked' } });
      expect(approved.status, JSON.stringify(approved.body)).toBe(201);
    }
    const executed = await call(dave, 'POST', `/v1/workflows/runs/${runId}/execute`);
    expect(executed.body.status, JSON.stringify(executed.body).slice(0, 2000)).toBe('succeeded');
    const manifests = await call(alice, 'GET', '/v1/provenance/purge-manifests?limit=5');
    const stored = (manifests.body.manifests as { purge_id: string; receipt_id: string; envelope: unknown }[]).find((m) => m.purge_id === `erasure-${runId}`)!;
    expect(stored.receipt_id).toBe(`purge-erasure-${runId}`);
    for (const bearer of [alice, globex, operator]) expect((await call(bearer, 'GET', '/v1/provenance/checkpoint')).status).toBe(200);
    // The delete's evidence bundle, as an auditor gets it after the erasure: the redaction marker and the purge's signed manifest travel with it.
    const bundleText = await (await fetch(`${platform.url}/v1/provenance/bundles/${deleteReceipt}`, { headers: { authorization: `Bearer ${alice}` } })).text();
    const bundleDir = await dirs.make();
    await writeFile(join(bundleDir, 'bundle.json'), bundleText);
    const withoutManifest = JSON.parse(bundleText) as { purgeManifests?: string[] };
    expect(withoutManifest.purgeManifests).toHaveLength(1);
    delete withoutManifest.purgeManifests;
    await writeFile(join(bundleDir, 'no-manifest.json'), JSON.stringify(withoutManifest));
    // Shipping has caught up with the erasure (and had two cycles to put anything back) before the bytes are searched.
    await sleep(2000);
    await waitFor(async () => {
      const metrics = await (await fetch(`${platform.url}/metrics`)).text();
      return Number(/^companyos_backup_unshipped_age_seconds (\S+)$/m.exec(metrics)?.[1]) === 0;
    }, 'backup shipping to catch up', 60_000);
    const whileRunning = await markersIn(dataDir, markers);
    const stop = await platform.stop('SIGTERM');
    expect(stop.code).toBe(0);

    // Zero recoverable bytes of the subject, running and stopped.
    expect(whileRunning).toEqual({});
    expect(await markersIn(dataDir, markers)).toEqual({});

    // The backup left is whole and restores without the subject.
    const keyFile = join(dataDir, 'keys', (await readdir(join(dataDir, 'keys'))).find((name) => name.endsWith('.pub'))!);
    const restoredDir = join(await dirs.make(), 'restored');
    const restore = await runCli(['restore', '--from', join(dataDir, 'backups'), '--key', keyFile, '--data-dir', restoredDir], { dataDir, env: TEXT_AS_WRITTEN_ENV, timeoutMs: 120_000 });
    expect(restore.code, `${restore.stdout}\n${restore.stderr}`).toBe(0);
    expect(await markersIn(restoredDir, markers)).toEqual({});
    const restored = await DuckDBWarehouse.open(join(restoredDir, 'warehouse.duckdb'));
    try {
      const [neighbours] = await restored.query<{ n: bigint }>("SELECT count(*) AS n FROM events WHERE tenant_id = 'acme' AND subject = 'customer-neighbour'");
      expect(Number(neighbours!.n)).toBe(5);
    } finally {
      await restored.close();
    }

    // Offline, with only the public key: the bundle verifies, its marker checked against the signed manifest; without the manifest it does not.
    const verified = await runCli(['ledger', 'verify', join(bundleDir, 'bundle.json'), '--key', keyFile], { dataDir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/erased by erasure-/);
    const unverified = await runCli(['ledger', 'verify', join(bundleDir, 'no-manifest.json'), '--key', keyFile], { dataDir });
    expect(unverified.code).not.toBe(0);
    expect(unverified.stdout + unverified.stderr).toMatch(/no signed manifest of purge erasure-/);

    const keys: LedgerKey[] = await Promise.all((await readdir(join(dataDir, 'keys'))).filter((f) => f.endsWith('.pub')).map(async (f) => parseVerifierKey((await readFile(join(dataDir, 'keys', f), 'utf8')).trim())));
    const manifest = JSON.parse(openEnvelope(stored.envelope, keys).payload.toString('utf8')) as ErasureManifest;
    expect(manifest).toMatchObject({ reason: 'erasure', scope: { tenant: 'acme', runId }, counts: { events: 8, quarantine: 1, evidence: 1, rationales: 2, exports: 1 } });
    // The approval (stored as given and as used) holds the rationale twice; its receipt and the delete's both hid it.
    expect(manifest.counts.disclosures).toBe(2);
    expect(manifest.backups!.dropped.length).toBeGreaterThan(0);
    expect(JSON.stringify(manifest)).not.toContain(subject);

    const database = await DuckDBWarehouse.open(join(dataDir, 'warehouse.duckdb'));
    try {
      // What was not the subject's is all there.
      const kept = await database.query<{ tenant_id: string; n: bigint }>('SELECT tenant_id, count(*) AS n FROM events GROUP BY tenant_id ORDER BY tenant_id');
      expect(kept.map((r) => [r.tenant_id, Number(r.n)])).toEqual(expect.arrayContaining([['acme', expect.any(Number)], ['globex', 1]]));
      const [neighbour] = await database.query<{ n: bigint }>("SELECT count(*) AS n FROM events WHERE tenant_id = 'acme' AND subject = 'customer-neighbour'");
      expect(Number(neighbour!.n)).toBe(5);
      const [rebuilt] = await database.query<{ n: bigint }>("SELECT count(*) AS n FROM build_runs WHERE trigger = 'erasure' AND status = 'success'");
      expect(Number(rebuilt!.n)).toBe(1);

      // Every tenant's log verifies from its first entry: each entry's signature, leaf hashes recomputed from the entries, every stored checkpoint's root.
      const entries = await database.query<{ tenant_id: string; log_index: bigint; receipt_id: string; entry: string; disclosures: string }>('SELECT tenant_id, log_index, receipt_id, entry, disclosures FROM ledger_entries ORDER BY tenant_id, log_index');
      const tenants = [...new Set(entries.map((e) => e.tenant_id))];
      expect(tenants).toEqual(expect.arrayContaining(['acme', 'globex', 'summit-internal']));
      for (const tenant of tenants) {
        const log = entries.filter((e) => e.tenant_id === tenant);
        expect(log.map((e) => Number(e.log_index))).toEqual(log.map((_, i) => i));
        for (const e of log) revealDisclosures(readReceipt(JSON.parse(e.entry), keys).predicate._sd, JSON.parse(e.disclosures) as string[]);
        const leaves = log.map((e) => hashLeaf(e.entry));
        const checkpoints = await database.query<{ note: string }>('SELECT note FROM ledger_checkpoints WHERE tenant_id = ? ORDER BY tree_size', [tenant]);
        expect(checkpoints.length).toBeGreaterThan(0);
        for (const { note } of checkpoints) {
          const checkpoint = verifyCheckpoint(note, keys);
          expect(rootFromLeafHashes(leaves.slice(0, checkpoint.size)).equals(checkpoint.rootHash)).toBe(true);
        }
      }

      // The redacted disclosure: its digest is still in the signed receipt, its marker validates against the signed manifest.
      const markersStored = await database.query<{ receipt_id: string; digest: string; purge_id: string }>("SELECT receipt_id, digest, purge_id FROM ledger_redactions WHERE tenant_id = 'acme'");
      expect(markersStored.map((m) => m.receipt_id)).toContain(deleteReceipt);
      expect(markersStored).toHaveLength(2);
      const redacted = entries.find((e) => e.tenant_id === 'acme' && e.receipt_id === deleteReceipt)!;
      const statement = readReceipt(JSON.parse(redacted.entry), keys);
      const marked: RedactionMarker[] = markersStored.filter((m) => m.receipt_id === deleteReceipt).map((m) => ({ receiptId: m.receipt_id, digest: m.digest, purgeId: m.purge_id }));
      const byPurge = new Map([[manifest.purgeId, manifest]]);
      verifyRedactions(statement, JSON.parse(redacted.disclosures) as string[], marked, byPurge);
      // A marker the manifest does not list, or one for a digest the receipt never had, is refused.
      expect(() => verifyRedactions(statement, [], marked, new Map([[manifest.purgeId, { ...manifest, redactions: [] }]]))).toThrow(/does not list it/);
      expect(() => verifyRedactions(statement, [], [{ ...marked[0]!, digest: 'AAAA' }], byPurge)).toThrow(/no such digest/);
    } finally {
      await database.close();
    }
  });
});
