import { readFile } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { readReceipt, verifyBundle, verifyCheckpoint, verifyConsistency } from '../../../kernel/ledger/index.ts';
import { useApi } from '../../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { takeLedgerOffline } from '../../../test/support/faults.ts';

describe.each(TEST_ENGINES)('Entities, dual control and receipts on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);
  let alice: string; // operator of acme
  let bob: string; // approver of acme
  let reader: string;
  let globex: string; // operator of another tenant

  beforeEach(async () => {
    alice = await server.api.principal('alice', 'acme', 'operator');
    bob = await server.api.principal('bob', 'acme', 'approver');
    reader = await server.api.principal('rita', 'acme', 'reader');
    globex = await server.api.principal('gus', 'globex', 'operator', 'admin');
  });

  const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  const keys = async () => server.api.app.ledgerStore.keyring.all();

  async function createAsset(name = 'build-runner-7') {
    const response = await call(alice, 'POST', '/v1/entities', { type: 'Asset', name, attributes: { rack: 'r7' } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; receipt_id: string; tenant: string; version: number };
  }

  it('creates an entity with a signed receipt in the tenant ledger, and logs the decision with the bundle revision', async () => {
    const asset = await createAsset();
    expect(asset).toMatchObject({ tenant: 'acme', version: 1 });
    const receipt = await call(alice, 'GET', `/v1/provenance/receipts/${asset.receipt_id}`);
    expect(receipt.statusCode, receipt.body).toBe(200);
    const statement = readReceipt(receipt.json().envelope, await keys());
    expect(statement.subject[0]!.name).toBe(`Asset/${asset.id}`);
    expect(statement.predicate).toMatchObject({ receiptId: asset.receipt_id, tenant: 'acme', actor: 'acme/alice', action: 'create', approvers: [] });

    const decisions = await call(alice, 'GET', '/v1/policy/decisions?action=create');
    const [decision] = decisions.json().decisions;
    expect(decision).toMatchObject({ decision_id: statement.predicate.decisionId, path: 'cedar/CompanyOS/create', result: { decision: 'allow', reasons: ['writers-create-update'] } });
    expect(decision.bundles.companyos.revision).toBe(statement.predicate.bundleRevision);
    const metrics = (await server.api.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('companyos_receipts_appended_total{action="create"} 1');
    expect(metrics).toMatch(/companyos_policy_decisions_total\{action="create",decision="allow"\} 1/);
    expect(Object.keys(decision)).toEqual(expect.arrayContaining(['decision_id', 'timestamp', 'path', 'input', 'result', 'bundles', 'erased', 'masked', 'trace_id']));
  });

  it("answers another tenant's entity and receipt exactly as ones that do not exist; a denial in the tenant is logged with a policy-violation event", async () => {
    const asset = await createAsset();
    const asNobody = async (url: string, id: string) => {
      const response = await call(globex, 'GET', url);
      return { status: response.statusCode, body: { ...response.json(), message: String(response.json().message).replace(id, 'ID') } };
    };
    expect(await asNobody(`/v1/entities/${asset.id}`, asset.id)).toEqual(await asNobody('/v1/entities/no-such-id', 'no-such-id'));
    expect((await asNobody(`/v1/entities/${asset.id}`, asset.id)).status).toBe(404);
    expect(await asNobody(`/v1/provenance/receipts/${asset.receipt_id}`, asset.receipt_id)).toEqual(await asNobody('/v1/provenance/receipts/rcpt-none', 'rcpt-none'));
    expect((await call(globex, 'GET', '/v1/entities')).json().entities).toEqual([]);

    const partner = await server.api.principal('pia', 'acme', 'partner');
    const refused = await call(partner, 'GET', `/v1/entities/${asset.id}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: ['partner-public-data-only'] });
    const decisionId = refused.json().decision_id as string;
    const seenByAcme = await call(alice, 'GET', '/v1/policy/decisions?decision=deny');
    expect(seenByAcme.json().decisions.map((d: { decision_id: string }) => d.decision_id)).toEqual([decisionId]);
    const events = await db.warehouse.query("SELECT tenant_id, id FROM events WHERE type = 'companyos.policy.violation'");
    expect(events).toEqual([{ tenant_id: 'acme', id: decisionId }]);
    expect((await call(reader, 'GET', `/v1/entities/${asset.id}`)).statusCode).toBe(200);
  });

  it('dual control: delete waits for an approval by someone else; self-approval is refused; the receipt names both principals', async () => {
    const asset = await createAsset();
    const pending = await call(alice, 'DELETE', `/v1/entities/${asset.id}`);
    expect(pending.statusCode).toBe(202);
    expect(pending.json()).toMatchObject({ status: 'pending-approval' });
    expect((await call(alice, 'GET', `/v1/entities/${asset.id}`)).statusCode).toBe(200);

    const self = await call(alice, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: 'decommission: rack r7 retired' });
    expect(self.statusCode).toBe(403);
    const aliceApprover = await server.api.principal('alice', 'acme', 'operator', 'approver');
    const selfAsApprover = await call(aliceApprover, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: 'decommission: rack r7 retired' });
    expect([selfAsApprover.statusCode, selfAsApprover.json().code]).toEqual([403, 'SELF_APPROVAL_REFUSED']);
    const vague = await call(bob, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: { category: 'because', text: 'I said so' } });
    expect([vague.statusCode, vague.json().code]).toEqual([400, 'RATIONALE_INVALID']);
    expect((await call(reader, 'DELETE', `/v1/entities/${asset.id}`)).statusCode).toBe(403);
    const unbacked = await call(bob, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: 'incident: INC-7', evidence: ['no-such-evidence'] });
    expect([unbacked.statusCode, unbacked.json().code]).toEqual([400, 'EVIDENCE_INVALID']);

    const approved = await call(bob, 'POST', '/v1/approvals', { entity_id: asset.id, action: 'delete', rationale: { category: 'decommission', text: 'Rack r7 is retired.' } });
    expect(approved.statusCode, approved.body).toBe(201);
    expect(approved.json()).toMatchObject({ requested_by: 'acme/alice', approver: 'acme/bob', entity_id: asset.id, action: 'delete', rationale: { category: 'decommission', text: 'Rack r7 is retired.' } });
    expect((await call(bob, 'DELETE', `/v1/entities/${asset.id}`)).statusCode).not.toBe(200);

    const deleted = await call(alice, 'DELETE', `/v1/entities/${asset.id}`);
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toMatchObject({ deleted: true, approvers: ['acme/bob'] });
    expect((await call(alice, 'GET', `/v1/entities/${asset.id}`)).statusCode).toBe(404);

    const fetched = await call(alice, 'GET', `/v1/provenance/receipts/${deleted.json().receipt_id}`);
    const statement = readReceipt(fetched.json().envelope, await keys());
    expect(statement.predicate).toMatchObject({ action: 'delete', actor: 'acme/alice', approvers: ['acme/bob'] });
    const disclosed = await call(alice, 'GET', `/v1/provenance/receipts/${deleted.json().receipt_id}/disclose?fields=rationale_category`);
    expect(disclosed.json().disclosures).toHaveLength(1);

    const bundle = await call(alice, 'GET', `/v1/provenance/bundles/${deleted.json().receipt_id}`);
    const report = verifyBundle(bundle.json(), await keys());
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('grants entitlements and traverses the graph to a depth', async () => {
    const batch = await call(alice, 'POST', '/v1/entities:batch', {
      entities: [
        { id: `${engine}-co`, type: 'Company', name: 'Acme' },
        { id: `${engine}-ann`, type: 'Person', name: 'Ann' },
        { id: `${engine}-wf`, type: 'Workflow', name: 'Onboarding' },
        { id: `${engine}-rb`, type: 'Runbook', name: 'Restore' },
      ],
      edges: [
        { type: 'MEMBER_OF', from: `${engine}-ann`, to: `${engine}-co` },
        { type: 'OWNS', from: `${engine}-co`, to: `${engine}-wf` },
        { type: 'TRIGGERS', from: `${engine}-wf`, to: `${engine}-rb` },
      ],
    });
    expect(batch.statusCode, batch.body).toBe(201);
    expect(batch.json()).toMatchObject({ created: 4, edges: 3 });
    const bad = await call(alice, 'POST', '/v1/entities:batch', { entities: [{ type: 'Asset', name: 'ok' }, { type: 'Spaceship', name: 'no' }] });
    expect(bad.json()).toMatchObject({ code: 'ENTITY_INVALID' });
    expect(bad.json().message).toContain('entities[1].type');

    const grant = await call(alice, 'POST', `/v1/entities/${engine}-rb/entitlements`, { subject_id: `${engine}-ann`, entitlement: 'execute' });
    expect(grant.statusCode, grant.body).toBe(201);
    expect(grant.json()).toMatchObject({ type: 'ENTITLED_TO', from: `${engine}-ann`, to: `${engine}-rb` });
    expect((await call(reader, 'POST', `/v1/entities/${engine}-rb/entitlements`, { subject_id: `${engine}-ann`, entitlement: 'execute' })).statusCode).toBe(403);

    const one = await call(alice, 'GET', `/v1/entities/${engine}-co/lineage?depth=1&direction=out`);
    expect(one.json().nodes.map((n: { id: string; distance: number }) => [n.id, n.distance])).toEqual([[`${engine}-co`, 0], [`${engine}-wf`, 1]]);
    const two = await call(alice, 'GET', `/v1/entities/${engine}-co/lineage?depth=2`);
    expect(two.json().nodes.map((n: { id: string }) => n.id).sort()).toEqual([`${engine}-ann`, `${engine}-co`, `${engine}-rb`, `${engine}-wf`].sort());
    expect(two.json().edges).toHaveLength(4);
  });

  it('rolls the action back when its receipt cannot be written', async () => {
    await createAsset('before');
    const bringBack = await takeLedgerOffline(server.api.app.platform.state);
    try {
      const refused = await call(alice, 'POST', '/v1/entities', { type: 'Asset', name: 'unreceipted' });
      expect([refused.statusCode, refused.json().code]).toEqual([503, 'RECEIPT_WRITE_FAILED']);
    } finally {
      await bringBack();
    }
    const names = (await call(alice, 'GET', '/v1/entities')).json().entities.map((e: { name: string }) => e.name);
    expect(names).toEqual(['before']);
  });

  it('rotates the signing key: receipts signed before stay verifiable with the retired public key', async () => {
    const before = await createAsset('signed-by-first-key');
    const first = server.api.app.ledgerStore.keyring.active;
    const second = await server.api.app.ledgerStore.keyring.rotate();
    const after = await createAsset('signed-by-second-key');
    const keysListed = (await call(alice, 'GET', '/v1/provenance/keys')).json().keys;
    expect(keysListed.map((k: { key_id: string; active: boolean }) => [k.key_id, k.active])).toEqual([[second.keyId, true], [first.keyId, false]]);

    const oldBundle = (await call(alice, 'GET', `/v1/provenance/bundles/${before.receipt_id}`)).json();
    expect(JSON.parse(oldBundle.entries[0].entry).signatures[0].keyid).toBe(first.keyId);
    expect(verifyBundle(oldBundle, [first, second]).failures).toEqual([]);
    const withoutRetired = verifyBundle(oldBundle, [second]);
    expect(withoutRetired.ok).toBe(false);
    expect(withoutRetired.failures.join('\n')).toContain(first.keyId);
    const newBundle = (await call(alice, 'GET', `/v1/provenance/bundles/${after.receipt_id}`)).json();
    expect(verifyBundle(newBundle, [second]).ok).toBe(true);
    // The log is one log across keys: the first checkpoint is consistent with the latest.
    const consistency = await call(alice, 'GET', '/v1/provenance/consistency?from=1&to=2');
    const proof = consistency.json();
    const [cp1, cp2] = [verifyCheckpoint(proof.checkpoint1, [first, second]), verifyCheckpoint(proof.checkpoint2, [first, second])];
    expect([cp1.size, cp2.size]).toEqual([1, 2]);
    const hashes = proof.hashes.map((h: string) => Buffer.from(h, 'base64'));
    expect(() => verifyConsistency(1, 2, cp1.rootHash, cp2.rootHash, hashes)).not.toThrow();
    expect(() => verifyConsistency(1, 2, cp2.rootHash, cp1.rootHash, hashes)).toThrow();
  });

  it('answers in snake_case only, and still takes the camelCase spellings of 0.1.0 on input (both spellings of one field: 400)', async () => {
    const old = await call(alice, 'POST', '/v1/entities', { id: `${engine}-old`, type: 'Asset', name: 'old spelling', dataClass: 'confidential' });
    expect(old.statusCode, old.body).toBe(201);
    expect(Object.keys(old.json()).sort()).toEqual(['attributes', 'data_class', 'id', 'name', 'receipt_id', 'region', 'tenant', 'type', 'updated_at', 'version']);
    expect(old.json()).toMatchObject({ data_class: 'confidential', receipt_id: old.headers['x-companyos-receipt'] });
    const both = await call(alice, 'POST', '/v1/entities', { type: 'Asset', name: 'both', dataClass: 'public', data_class: 'internal' });
    expect([both.statusCode, both.json().code]).toEqual([400, 'BAD_REQUEST']);
    expect(both.json().message).toContain('data_class');
    expect(both.headers['x-companyos-receipt']).toBeUndefined();
    const batch = await call(alice, 'POST', '/v1/entities:batch', { entities: [{ id: `${engine}-old-2`, type: 'Person', name: 'p', dataClass: 'public' }] });
    expect(batch.statusCode, batch.body).toBe(201);
    expect((await call(alice, 'PATCH', `/v1/entities/${engine}-old-2`, { dataClass: 'internal' })).json()).toMatchObject({ data_class: 'internal', version: 2 });
    const badCode = await call(alice, 'PATCH', `/v1/entities/${engine}-old-2`, { data_class: 'secret' });
    expect([badCode.statusCode, badCode.json().code]).toEqual([400, 'ENTITY_INVALID']);
    expect(badCode.json().message).toContain('body.data_class');

    const grant = await call(alice, 'POST', `/v1/entities/${engine}-old/entitlements`, { subjectId: `${engine}-old-2`, entitlement: 'read', expiresAt: '2030-01-01T00:00:00Z' });
    expect(grant.statusCode, grant.body).toBe(201);
    expect(grant.json()).toMatchObject({ from: `${engine}-old-2`, attributes: { entitlement: 'read', expires_at: '2030-01-01T00:00:00Z' } });
    const grantBoth = await call(alice, 'POST', `/v1/entities/${engine}-old/entitlements`, { subjectId: `${engine}-old-2`, subject_id: `${engine}-old-2`, entitlement: 'read' });
    expect([grantBoth.statusCode, grantBoth.json().code]).toEqual([400, 'BAD_REQUEST']);

    const evidence = await call(bob, 'POST', '/v1/provenance/evidence', { receiptId: old.json().receipt_id, items: [{ kind: 'file', name: 'f.txt', sha256: 'A'.repeat(64) }] });
    expect(evidence.statusCode, evidence.body).toBe(201);
    expect(evidence.json()).toMatchObject({ attached_to: old.json().receipt_id, items: [{ kind: 'file', name: 'f.txt', sha256: 'a'.repeat(64) }] });
    expect(Object.keys(evidence.json()).sort()).toEqual(['attached_to', 'bundle_id', 'items', 'receipt_id']);

    const pending = await call(alice, 'DELETE', `/v1/entities/${engine}-old`);
    expect(pending.statusCode).toBe(202);
    expect(Object.keys(pending.json()).sort()).toEqual(['approval_request_id', 'decision_id', 'message', 'status']);
    const approvalBoth = await call(bob, 'POST', '/v1/approvals', { entityId: `${engine}-old`, entity_id: `${engine}-old`, action: 'delete', rationale: 'incident: INC-1' });
    expect([approvalBoth.statusCode, approvalBoth.json().code]).toEqual([400, 'BAD_REQUEST']);
    const approved = await call(bob, 'POST', '/v1/approvals', {
      entityId: `${engine}-old`, action: 'delete', rationale: 'incident: INC-1', requestId: pending.json().approval_request_id, evidence: [evidence.json().items[0].id],
    });
    expect(approved.statusCode, approved.body).toBe(201);
    expect(Object.keys(approved.json()).sort()).toEqual(['action', 'approval_id', 'approver', 'entity_id', 'rationale', 'receipt_id', 'request_id', 'requested_by']);
    expect(approved.json()).toMatchObject({ request_id: pending.json().approval_request_id, rationale: { category: 'incident', text: 'INC-1' } });
    const deleted = await call(alice, 'DELETE', `/v1/entities/${engine}-old`);
    expect(Object.keys(deleted.json()).sort()).toEqual(['approvers', 'deleted', 'entity_id', 'receipt_id', 'requested_by', 'version']);

    const receipt = (await call(alice, 'GET', `/v1/provenance/receipts/${deleted.json().receipt_id}`)).json();
    expect(Object.keys(receipt).sort()).toEqual(['checkpoint', 'entry', 'envelope', 'inclusion_proof', 'log_index', 'receipt_id']);
    // The ledger's own formats keep their spelling: the DSSE envelope, and the inclusion proof as evidence bundles spell it.
    expect(Object.keys(receipt.envelope).sort()).toEqual(['payload', 'payloadType', 'signatures']);
    expect(Object.keys(receipt.inclusion_proof).sort()).toEqual(['hashes', 'logIndex', 'rootHash', 'treeSize']);
    const checkpoint = (await call(alice, 'GET', '/v1/provenance/checkpoint')).json();
    expect(Object.keys(checkpoint).sort()).toEqual(['checkpoint', 'origin', 'root_hash', 'size']);
    expect(checkpoint.root_hash).toBe(receipt.inclusion_proof.rootHash);
    const [key] = (await call(alice, 'GET', '/v1/provenance/keys')).json().keys;
    expect(Object.keys(key).sort()).toEqual(['active', 'created_at', 'key_id', 'name', 'retired_at', 'verifier_key']);
  });

  it('simulates policy cases without side effects: PASS or FAIL per case, with reasons', async () => {
    const cases = JSON.parse(await readFile(new URL('../../../kernel/policies/tests/dual-control.json', import.meta.url), 'utf8')).slice(0, 3);
    delete cases[1].decision;
    cases[2].decision = 'allow';
    const before = await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events');
    const simulated = await call(alice, 'POST', '/v1/policy/simulate', cases);
    expect(simulated.statusCode, simulated.body).toBe(200);
    expect(simulated.json().results.map((r: { outcome: string; reasons: string[] }) => [r.outcome, r.reasons])).toEqual([
      ['PASS', ['dual-control']],
      ['PASS', ['operators-destroy']],
      ['FAIL', ['dual-control']],
    ]);
    expect(simulated.json()).toMatchObject({ passed: 2, failed: 1, bundle: { name: 'companyos' } });
    // Only the gate's own decision about the simulate call is logged; the simulated cases are not.
    const logged = (await call(alice, 'GET', '/v1/policy/decisions')).json().decisions;
    expect(logged.map((d: { input: { action: string } }) => d.input.action).sort()).toEqual(['audit', 'simulate_policy']);
    expect(await db.warehouse.query('SELECT count(*) AS n FROM events')).toEqual(before);
    const bad = await call(alice, 'POST', '/v1/policy/simulate', [{ request: { principal: 'CompanyOS::User::"x"' } }]);
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'POLICY_CASES_INVALID']);
    expect(bad.json().message).toContain('request.action is missing');
    expect((await call(reader, 'POST', '/v1/policy/simulate', cases)).statusCode).toBe(403);
  });
});
