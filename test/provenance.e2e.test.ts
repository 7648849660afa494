import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllCliProcesses, runCli, startPlatform, TempDirs } from './support/cli.ts';

/**
 * AT-PROV-003, end to end with the real CLI and server: deleting an entity emits
 * a receipt that carries the dual-control approval and a valid signature, and the
 * exported bundle verifies offline with only the public key — and stops verifying
 * when any part of it is tampered with.
 */

const temp = new TempDirs();
afterEach(async () => {
  await killAllCliProcesses();
  await temp.removeAll();
});

describe('AT-PROV-003: a dual-controlled delete is provable offline', () => {
  it('delete → approval → delete emits a signed receipt naming both principals; `ledger verify` checks the exported bundle', { timeout: 120_000 }, async () => {
    const dataDir = await temp.make();
    const platform = await startPlatform(dataDir, ['--no-seed']);
    const token = async (subject: string, role: string) => (await runCli(['token', '--tenant', 'acme', '--role', role, '--subject', subject], { dataDir })).stdout.trim();
    const [alice, bob] = [await token('alice', 'operator'), await token('bob', 'approver')];
    const call = async (bearer: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${platform.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    const created = await call(alice, 'POST', '/v1/entities', { type: 'Asset', name: 'db-replica-3', data_class: 'confidential' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await call(alice, 'DELETE', `/v1/entities/${id}`)).status).toBe(202);
    expect((await call(alice, 'POST', '/v1/approvals', { entity_id: id, action: 'delete', rationale: 'decommission: replica retired' })).status).toBe(403);
    const evidence = await call(bob, 'POST', '/v1/provenance/evidence', { items: [{ kind: 'transcript', name: 'cab-call.txt', content: Buffer.from('Approved in CAB 2026-11-22.').toString('base64') }] });
    expect(evidence.status).toBe(201);
    const evidenceId = (evidence.body.items as { id: string }[])[0]!.id;
    const approval = await call(bob, 'POST', '/v1/approvals', { entity_id: id, action: 'delete', rationale: { category: 'decommission', text: 'Replica retired.' }, evidence: [evidenceId] });
    expect(approval.status).toBe(201);
    const deleted = await call(alice, 'DELETE', `/v1/entities/${id}`);
    expect(deleted.status).toBe(200);
    const receiptId = deleted.body.receipt_id as string;

    const bundle = await fetch(`${platform.url}/v1/provenance/bundles/${receiptId}`, { headers: { authorization: `Bearer ${alice}` } });
    const bundleText = await bundle.text();
    const bundleFile = join(dataDir, 'bundle.json');
    await writeFile(bundleFile, bundleText);
    const byBundleId = await fetch(`${platform.url}/v1/provenance/bundles/${evidence.body.bundle_id as string}`, { headers: { authorization: `Bearer ${bob}` } });
    const evidenceBundle = (await byBundleId.json()) as { evidence: { id: string }[]; entries: { entry: string }[] };
    expect(evidenceBundle.evidence.map((e) => e.id)).toEqual([evidenceId]);
    // The receipt of the attaching call carries the evidence's hash: the bundle verifies it.
    expect(evidenceBundle.entries).toHaveLength(1);
    await writeFile(join(dataDir, 'evidence-bundle.json'), JSON.stringify(evidenceBundle));
    await platform.stop();

    // Offline: only the bundle and the public key the platform wrote.
    const keyFiles = (await readdir(join(dataDir, 'keys'))).filter((f) => f.endsWith('.pub'));
    expect(keyFiles).toHaveLength(1);
    const keyFile = join(dataDir, 'keys', keyFiles[0]!);
    const evidenceVerified = await runCli(['ledger', 'verify', join(dataDir, 'evidence-bundle.json'), '--key', keyFile], { dataDir });
    expect(evidenceVerified.code, evidenceVerified.stdout).toBe(0);
    expect(evidenceVerified.stdout).toMatch(/ok +evidence/);
    const verified = await runCli(['ledger', 'verify', bundleFile, '--key', keyFile], { dataDir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/verifies\./);

    const parsed = JSON.parse(bundleText);
    const envelope = JSON.parse(parsed.entries[0].entry);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    expect(statement.predicate).toMatchObject({ action: 'delete', actor: 'acme/alice', approvers: ['acme/bob'], receiptId });
    expect(statement.predicate.evidenceRefs.map((r: { id: string }) => r.id)).toEqual([evidenceId]);

    const tampered = async (name: string, edit: (b: typeof parsed) => void) => {
      const copy = JSON.parse(bundleText);
      edit(copy);
      const file = join(dataDir, `${name}.json`);
      await writeFile(file, JSON.stringify(copy));
      return runCli(['ledger', 'verify', file, '--key', keyFile], { dataDir });
    };
    const approverSwapped = await tampered('approver', (b) => {
      const env = JSON.parse(b.entries[0].entry);
      const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
      st.predicate.approvers = ['acme/alice'];
      env.payload = Buffer.from(JSON.stringify(st)).toString('base64');
      b.entries[0].entry = JSON.stringify(env);
    });
    expect(approverSwapped.code).toBe(1);
    expect(approverSwapped.stdout).toMatch(/FAIL signature/);
    const evidenceSwapped = await tampered('evidence', (b) => {
      b.evidence[0].content = Buffer.from('Rejected in CAB.').toString('base64');
    });
    expect(evidenceSwapped.code).toBe(1);
    expect(evidenceSwapped.stdout).toMatch(/FAIL evidence/);
    const proofTampered = await tampered('proof', (b) => {
      const hashes = b.entries[0].inclusionProof.hashes as string[];
      if (hashes.length > 0) hashes[0] = Buffer.alloc(32, 7).toString('base64');
      else b.entries[0].inclusionProof.rootHash = Buffer.alloc(32, 7).toString('base64');
    });
    expect(proofTampered.code).toBe(1);
    expect(proofTampered.stdout).toMatch(/FAIL inclusion/);
    const checkpointTampered = await tampered('checkpoint', (b) => {
      b.checkpoint = b.checkpoint.replace(/\n(\d+)\n/, (_: string, size: string) => `\n${Number(size) + 1}\n`);
    });
    expect(checkpointTampered.code).toBe(1);
    expect(checkpointTampered.stdout).toMatch(/FAIL checkpoint/);

    const otherKey = await runCli(['ledger', 'verify', bundleFile, '--key', 'other+00000000+AQ' + 'A'.repeat(42) + '='], { dataDir });
    expect(otherKey.code).not.toBe(0);
    expect(await readFile(keyFile, 'utf8')).toMatch(/^companyos-ledger\+[0-9a-f]{8}\+/);
  });
});
