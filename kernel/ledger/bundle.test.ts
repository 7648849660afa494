import { describe, expect, it } from 'vitest';
import { BUNDLE_TYPE, formatReport, verifyBundle, type BundleReport, type EvidenceBundle } from './bundle.ts';
import { signCheckpoint } from './checkpoint.ts';
import { makeDisclosure } from './disclosure.ts';
import { sha256 } from './encoding.ts';
import { formatVerifierKey, parseVerifierKey, type LedgerKey } from './keys.ts';
import { Keyring } from './keyring.ts';
import { MerkleTree, hashLeaf } from './merkle.ts';
import { buildReceipt } from './receipt.ts';

const ORIGIN = 'companyos.dev/ledger/acme';
const invoice = Buffer.from('%PDF-1.7 invoice INV-3341 1250.00 EUR');
const transcript = Buffer.from('alice: approve payout po-77?\nbob: approved.\n');
const ev1 = sha256(invoice).toString('hex');
const ev2 = sha256(transcript).toString('hex');

// A log of 10 receipts: 0-5 signed by the first key, then a rotation, 6-9 by the second.
// Receipt 8 belongs to another tenant. Checkpoints at 5 (first key) and 10 (second key).
const ring = Keyring.inMemory('companyos-ledger');
const tree = new MerkleTree();
const texts: string[] = [];
const disclosures: string[][] = [];
let checkpoint5 = '';
const firstKey = ring.active;
for (let i = 0; i < 10; i++) {
  if (i === 6) await ring.rotate();
  const receipt = buildReceipt(
    {
      receiptId: `r-${i}`,
      tenant: i === 8 ? 'globex' : 'acme',
      actor: 'user:alice',
      action: 'payout.approve',
      target: { name: `payout/po-${i}`, digest: sha256(`po-${i}`).toString('hex') },
      decisionId: `d-${i}`,
      bundleRevision: 'rev-12',
      approvers: ['user:bob'],
      evidenceRefs: i === 2 ? [{ id: 'ev-1', sha256: ev1 }] : i === 7 ? [{ id: 'ev-2', sha256: ev2 }] : [],
      time: `2025-03-01T12:0${i}:00.000Z`,
      hidden: i % 2 === 0 ? { rationale: `reason ${i}` } : undefined,
    },
    ring.active,
  );
  texts.push(JSON.stringify(receipt.envelope));
  disclosures.push(receipt.disclosures);
  tree.append(hashLeaf(texts[i]!));
  if (tree.size === 5) checkpoint5 = signCheckpoint({ origin: ORIGIN, size: 5, rootHash: tree.root() }, ring.active);
}
const secondKey = ring.active;
const checkpoint10 = signCheckpoint({ origin: ORIGIN, size: 10, rootHash: tree.root() }, secondKey);
const b64 = (b: Buffer): string => b.toString('base64');
// Verifiers get public keys only, as from `--key` files.
const publicOf = (k: LedgerKey): LedgerKey => parseVerifierKey(formatVerifierKey(k));
const allKeys = [publicOf(firstKey), publicOf(secondKey)];

function makeBundle(indexes = [2, 3, 7]): EvidenceBundle {
  return {
    bundleType: BUNDLE_TYPE,
    bundleId: 'b-1',
    tenant: 'acme',
    origin: ORIGIN,
    createdAt: '2025-03-02T00:00:00.000Z',
    entries: indexes.map((i) => ({
      logIndex: i,
      entry: texts[i]!,
      disclosures: disclosures[i]!,
      inclusionProof: { logIndex: i, treeSize: 10, rootHash: b64(tree.root()), hashes: tree.inclusionProof(i, 10).map(b64) },
    })),
    checkpoint: checkpoint10,
    consistency: [{ checkpoint: checkpoint5, proof: { size1: 5, size2: 10, hashes: tree.consistencyProof(5, 10).map(b64) } }],
    evidence: [
      { id: 'ev-1', kind: 'file', name: 'invoice.pdf', sha256: ev1, content: b64(invoice) },
      { id: 'ev-2', kind: 'transcript', name: 'approval chat', sha256: ev2, content: b64(transcript) },
      { id: 'ev-3', kind: 'file', name: 'not uploaded.pdf', sha256: 'c'.repeat(64) },
    ],
  };
}

const failed = (r: BundleReport): string[] => r.checks.filter((c) => !c.ok).map((c) => `${c.check} ${c.subject}`);
const flipChar = (s: string, at: number): string => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
const sigOf = (note: string): string => note.split('\n\n')[1]!.split(' ')[2]!;

describe('evidence bundles', () => {
  it('verifies an untampered bundle, naming every check', () => {
    const report = verifyBundle(makeBundle(), allKeys);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.bundleId).toBe('b-1');
    const count = (check: string): number => report.checks.filter((c) => c.check === check).length;
    expect([count('signature'), count('payload'), count('disclosure'), count('inclusion')]).toEqual([3, 3, 3, 3]);
    expect([count('checkpoint'), count('consistency'), count('evidence')]).toEqual([2, 1, 5]);
    expect(report.checks).toContainEqual({ check: 'disclosure', subject: 'entry 2 (receipt r-2)', ok: true, detail: 'discloses rationale' });
    expect(report.checks).toContainEqual({ check: 'evidence', subject: 'entry 7 (receipt r-7)', ok: true, detail: 'evidence ev-2 matches the receipt' });
    expect(report.checks).toContainEqual({ check: 'inclusion', subject: 'entry 3 (receipt r-3)', ok: true, detail: 'included at index 3 in the log of size 10' });
    expect(formatReport(report)).toContain('Bundle b-1 verifies.');
    expect(verifyBundle(JSON.parse(JSON.stringify(makeBundle())), allKeys).ok).toBe(true);
  });

  it('catches an entry text changed by one character or by added whitespace', () => {
    const b = makeBundle();
    b.entries[0]!.entry = b.entries[0]!.entry.replace('receipt.v1+json', 'receipt.v2+json');
    expect(failed(verifyBundle(b, allKeys))).toEqual(['signature entry 2', 'payload entry 2', 'inclusion entry 2']);
    const spaced = makeBundle();
    // Same JSON, different bytes: the signature still holds, but the log holds other bytes.
    spaced.entries[0]!.entry = `${spaced.entries[0]!.entry} `;
    expect(failed(verifyBundle(spaced, allKeys))).toEqual(['inclusion entry 2 (receipt r-2)']);
  });

  it('names a bad envelope signature', () => {
    const b = makeBundle();
    const envelope = JSON.parse(b.entries[1]!.entry);
    envelope.signatures[0].sig = flipChar(envelope.signatures[0].sig, 10);
    b.entries[1]!.entry = JSON.stringify(envelope);
    const report = verifyBundle(b, allKeys);
    expect(report.failures).toContain(`entry 3 (receipt r-3): signature does not verify with key ${firstKey.keyId}`);
    expect(failed(report)).toEqual(['signature entry 3 (receipt r-3)', 'inclusion entry 3 (receipt r-3)']);
  });

  it('catches a changed payload', () => {
    const b = makeBundle();
    const envelope = JSON.parse(b.entries[2]!.entry);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    statement.predicate.approvers = ['user:mallory'];
    envelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    b.entries[2]!.entry = JSON.stringify(envelope);
    expect(failed(verifyBundle(b, allKeys))).toEqual(['signature entry 7 (receipt r-7)', 'inclusion entry 7 (receipt r-7)']);
  });

  it('catches a genuine receipt of another tenant', () => {
    const report = verifyBundle(makeBundle([2, 8]), allKeys);
    expect(failed(report)).toEqual(['payload entry 8 (receipt r-8)']);
    expect(report.failures).toEqual(["entry 8 (receipt r-8): the receipt is for tenant globex, not the bundle's tenant acme"]);
  });

  it('catches a tampered inclusion proof', () => {
    const b = makeBundle();
    const proof = b.entries[1]!.inclusionProof;
    proof.hashes[0] = b64(Buffer.from(proof.hashes[0]!, 'base64').map((x, i) => (i === 0 ? x ^ 1 : x)) as Buffer);
    expect(failed(verifyBundle(b, allKeys))).toEqual(['inclusion entry 3 (receipt r-3)']);
    const wrongSize = makeBundle();
    wrongSize.entries[0]!.inclusionProof.treeSize = 9;
    expect(verifyBundle(wrongSize, allKeys).failures).toEqual(['entry 2 (receipt r-2): the proof is for a log of size 9, the checkpoint is at size 10']);
    const wrongIndex = makeBundle();
    wrongIndex.entries[0]!.logIndex = 4;
    expect(failed(verifyBundle(wrongIndex, allKeys))).toEqual(['inclusion entry 4 (receipt r-2)']);
  });

  it('catches a tampered checkpoint root, size or signature', () => {
    const root = makeBundle();
    root.checkpoint = root.checkpoint.replace(b64(tree.root()), b64(tree.root(9)));
    const rootFailures = failed(verifyBundle(root, allKeys));
    expect(rootFailures[0]).toBe('checkpoint checkpoint');
    expect(rootFailures).toContain('consistency checkpoint at size 5');
    expect(rootFailures.filter((f) => f.startsWith('inclusion'))).toHaveLength(3);

    const size = makeBundle();
    size.checkpoint = size.checkpoint.replace(`${ORIGIN}\n10\n`, `${ORIGIN}\n11\n`);
    const sizeReport = verifyBundle(size, allKeys);
    expect(sizeReport.failures[0]).toBe(`checkpoint: the signature by key companyos-ledger+${secondKey.keyId} does not verify`);

    const sig = makeBundle();
    sig.checkpoint = sig.checkpoint.replace(sigOf(sig.checkpoint), flipChar(sigOf(sig.checkpoint), 20));
    expect(failed(verifyBundle(sig, allKeys))).toEqual(['checkpoint checkpoint']);

    const origin = makeBundle();
    origin.origin = 'companyos.dev/ledger/globex';
    expect(verifyBundle(origin, allKeys).failures).toContain(`checkpoint: origin ${ORIGIN} is not the bundle's origin companyos.dev/ledger/globex`);
  });

  it('catches a tampered older checkpoint or consistency proof', () => {
    const older = makeBundle();
    const note = older.consistency[0]!.checkpoint;
    older.consistency[0]!.checkpoint = note.replace(sigOf(note), flipChar(sigOf(note), 20));
    expect(failed(verifyBundle(older, allKeys))).toEqual(['checkpoint checkpoint at size 5']);
    const forked = makeBundle();
    forked.consistency[0]!.checkpoint = signCheckpoint({ origin: ORIGIN, size: 5, rootHash: hashLeaf('fork') }, secondKey);
    expect(failed(verifyBundle(forked, allKeys))).toEqual(['consistency checkpoint at size 5']);
    const proof = makeBundle();
    proof.consistency[0]!.proof.hashes.reverse();
    expect(failed(verifyBundle(proof, allKeys))).toEqual(['consistency checkpoint at size 5']);
  });

  it('catches tampered evidence content or digests', () => {
    const content = makeBundle();
    content.evidence[0]!.content = b64(Buffer.from('%PDF-1.7 invoice INV-3341 9250.00 EUR'));
    const report = verifyBundle(content, allKeys);
    expect(failed(report)).toEqual(['evidence evidence ev-1']);
    expect(report.failures[0]).toMatch(/^evidence ev-1: content hashes to [0-9a-f]{64}, not the recorded /);
    const digest = makeBundle();
    digest.evidence[1] = { ...digest.evidence[1]!, sha256: sha256('other').toString('hex'), content: b64(Buffer.from('other')) };
    expect(failed(verifyBundle(digest, allKeys))).toEqual(['evidence entry 7 (receipt r-7)']);
  });

  it('catches a disclosure not committed to by the receipt', () => {
    const b = makeBundle();
    b.entries[0]!.disclosures = [makeDisclosure('rationale', 'a nicer reason')];
    const report = verifyBundle(b, allKeys);
    expect(failed(report)).toEqual(['disclosure entry 2 (receipt r-2)']);
    expect(report.failures[0]).toBe('entry 2 (receipt r-2): disclosure 0 (rationale) is not listed in _sd');
  });

  it('verifies receipts of a retired key only when its public key is given', () => {
    const report = verifyBundle(makeBundle(), [publicOf(secondKey)]);
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual([
      `checkpoint at size 5: the note is signed only by unknown keys: companyos-ledger+${firstKey.keyId}`,
      `entry 2 (receipt r-2): signed with unknown key ${firstKey.keyId}`,
      `entry 3 (receipt r-3): signed with unknown key ${firstKey.keyId}`,
    ]);
    expect(verifyBundle(makeBundle(), ring).ok).toBe(true);
  });

  it('never throws on malformed input, naming the field', () => {
    for (const junk of [null, 42, 'bundle', [], {}, { entries: 5 }, { ...makeBundle(), entries: [null, 7, { entry: 3 }] }]) {
      const report = verifyBundle(junk, allKeys);
      expect(report.ok).toBe(false);
      expect(report.failures.length).toBeGreaterThan(0);
    }
    const b = makeBundle();
    (b.entries[0]!.inclusionProof.hashes as unknown[])[1] = 'not base64!';
    (b.entries[1] as unknown as Record<string, unknown>).disclosures = 'none';
    (b.evidence[0] as unknown as Record<string, unknown>).sha256 = 'ABC';
    const report = verifyBundle(b, allKeys);
    expect(report.failures).toContain('entry 2 (receipt r-2): bundle.entries[0].inclusionProof.hashes[1] is not base64 of 32 bytes');
    expect(report.failures).toContain('entry 3 (receipt r-3): bundle.entries[1].disclosures is not an array of strings');
    expect(report.failures).toContain('evidence ev-1: bundle.evidence[0].sha256 is not a lowercase hex SHA-256');
    expect(verifyBundle({ ...makeBundle(), bundleType: 'x' }, allKeys).failures).toEqual([`bundle: bundle.bundleType is not ${BUNDLE_TYPE}`]);
  });
});
