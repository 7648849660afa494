import {
  BUNDLE_TYPE,
  isObj,
  readHash,
  readHashes,
  readIndex,
  readObj,
  readString,
  readStrings,
  type BundleCheck,
  type BundleReport,
  type Obj,
} from './bundle-types.ts';
import { readCheckpointUnverified, verifyCheckpoint, type Checkpoint } from './checkpoint.ts';
import { revealDisclosures } from './disclosure.ts';
import { openEnvelope, readEnvelope } from './dsse.ts';
import { decodeBase64, isSha256Hex, sha256 } from './encoding.ts';
import { LedgerVerificationError, type VerificationCheck } from './errors.ts';
import type { KeySource } from './keys.ts';
import { hashLeaf, verifyConsistency, verifyInclusion } from './merkle.ts';
import { parseReceiptStatement, RECEIPT_PAYLOAD_TYPE, type ReceiptStatement } from './receipt.ts';
import { verifyRedactions, type RedactionMarker } from './redaction.ts';

export * from './bundle-types.ts';

/** "Signature does not verify …." → "signature does not verify …", to follow "subject: ". */
const clause = (message: string): string => (message[0]?.toLowerCase() ?? '') + message.slice(1).replace(/\.$/, '');
const messageOf = (err: unknown): string => clause(err instanceof Error ? err.message : String(err));
const mismatch = (check: VerificationCheck, message: string): never => {
  throw new LedgerVerificationError(check, message);
};

class Checks {
  readonly list: BundleCheck[] = [];

  add(check: VerificationCheck, subject: string, ok: boolean, detail: string): void {
    this.list.push({ check, subject, ok, detail });
  }

  /** Records `check` as passed with fn's detail, or failed with the reason fn threw. */
  run(check: VerificationCheck, subject: string, fn: () => string): void {
    try {
      this.add(check, subject, true, fn());
    } catch (err) {
      this.add(check, subject, false, messageOf(err));
    }
  }

  /** Reads a field; a bad shape becomes a failed 'bundle' check and undefined. */
  read<T>(subject: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.add('bundle', subject, false, messageOf(err));
      return undefined;
    }
  }
}

interface Context {
  checks: Checks;
  keys: KeySource;
  tenant?: string;
  origin?: string;
  main?: Checkpoint;
  evidence: Map<string, string>;
  logIndexes: Set<number>;
  /** The purge manifests bundled, by purge id: what redaction markers are checked against. */
  purges: Map<string, { redactions: readonly RedactionMarker[] }>;
}

/** Verifies an evidence bundle offline. Never throws: every problem is a failed check in the report. */
export function verifyBundle(input: unknown, keys: KeySource): BundleReport {
  const checks = new Checks();
  const b: Obj = isObj(input) ? input : {};
  if (!isObj(input)) checks.add('bundle', 'bundle', false, 'the bundle is not a JSON object');
  else if (b.bundleType !== BUNDLE_TYPE) checks.add('bundle', 'bundle', false, `bundle.bundleType is not ${BUNDLE_TYPE}`);
  const text = (key: string): string | undefined => checks.read('bundle', () => readString(b, key, 'bundle'));
  const list = (key: string): unknown[] => checks.read('bundle', () => (Array.isArray(b[key]) ? b[key] : mismatch('bundle', `bundle.${key} is not an array`))) ?? [];
  const [bundleId, tenant, origin] = [text('bundleId'), text('tenant'), text('origin')];
  text('createdAt');
  const ctx: Context = { checks, keys, tenant, origin, evidence: new Map(), logIndexes: new Set(), purges: new Map() };
  ctx.main = checkNote(ctx, b.checkpoint, 'checkpoint', 'bundle.checkpoint');
  list('consistency').forEach((item, i) => checkConsistency(ctx, item, `bundle.consistency[${i}]`));
  list('evidence').forEach((item, i) => checkEvidence(ctx, item, `bundle.evidence[${i}]`));
  if (b.purgeManifests !== undefined) list('purgeManifests').forEach((item, i) => checkPurgeManifest(ctx, item, `bundle.purgeManifests[${i}]`));
  list('entries').forEach((item, i) => checkEntry(ctx, item, `bundle.entries[${i}]`));
  const failed = checks.list.filter((c) => !c.ok);
  return { ok: failed.length === 0 && checks.list.length > 0, bundleId, tenant, checks: checks.list, failures: failed.map((c) => `${c.subject}: ${c.detail}`) };
}

/** Checks a signed checkpoint note and returns the checkpoint it claims (even when its signature fails, to keep checking). */
function checkNote(ctx: Context, note: unknown, subject: string, path: string): Checkpoint | undefined {
  if (typeof note !== 'string') return ctx.checks.read(subject, () => mismatch('bundle', `${path} is not a signed note`));
  ctx.checks.run('checkpoint', subject, () => {
    const cp = verifyCheckpoint(note, ctx.keys);
    return `size ${cp.size} signed by key ${cp.keyIds.join(', ')}`;
  });
  const claimed = readCheckpointUnverified(note);
  if (claimed && ctx.origin !== undefined && claimed.origin !== ctx.origin) {
    ctx.checks.add('checkpoint', subject, false, `origin ${claimed.origin} is not the bundle's origin ${ctx.origin}`);
  }
  return claimed;
}

function checkConsistency(ctx: Context, item: unknown, path: string): void {
  const o = ctx.checks.read(path, () => readObj(item, path));
  if (!o) return;
  const claimed = typeof o.checkpoint === 'string' ? readCheckpointUnverified(o.checkpoint) : undefined;
  const subject = claimed ? `checkpoint at size ${claimed.size}` : path;
  const older = checkNote(ctx, o.checkpoint, subject, `${path}.checkpoint`);
  const proof = ctx.checks.read(subject, () => {
    const p = readObj(o.proof, `${path}.proof`);
    return { size1: readIndex(p, 'size1', `${path}.proof`), size2: readIndex(p, 'size2', `${path}.proof`), hashes: readHashes(p, 'hashes', `${path}.proof`) };
  });
  if (!proof) return;
  const main = ctx.main;
  ctx.checks.run('consistency', subject, () => {
    if (!older || !main) return mismatch('consistency', 'there is no readable checkpoint pair to check');
    if (proof.size1 !== older.size) mismatch('consistency', `the proof starts at size ${proof.size1}, the older checkpoint is at size ${older.size}`);
    if (proof.size2 !== main.size) mismatch('consistency', `the proof ends at size ${proof.size2}, the checkpoint is at size ${main.size}`);
    verifyConsistency(older.size, main.size, older.rootHash, main.rootHash, proof.hashes);
    return `the log at size ${older.size} is a prefix of the log at size ${main.size}`;
  });
}

function checkEvidence(ctx: Context, item: unknown, path: string): void {
  const o = ctx.checks.read(path, () => readObj(item, path));
  const id = o && ctx.checks.read(path, () => readString(o, 'id', path));
  if (!o || id === undefined) return;
  const subject = `evidence ${id}`;
  if (ctx.evidence.has(id)) return ctx.checks.add('bundle', subject, false, `evidence id ${id} appears twice`);
  if (o.kind !== 'file' && o.kind !== 'transcript') ctx.checks.add('bundle', subject, false, `${path}.kind is not file or transcript`);
  if (typeof o.name !== 'string') ctx.checks.add('bundle', subject, false, `${path}.name is not a string`);
  if (!isSha256Hex(o.sha256)) return ctx.checks.add('bundle', subject, false, `${path}.sha256 is not a lowercase hex SHA-256`);
  const recorded = o.sha256;
  ctx.evidence.set(id, recorded);
  ctx.checks.run('evidence', subject, () => {
    if (o.content === undefined) return 'content not bundled; only its sha256 is recorded';
    const bytes = typeof o.content === 'string' ? decodeBase64(o.content) : undefined;
    if (!bytes) return mismatch('evidence', `${path}.content is not base64`);
    const actual = sha256(bytes).toString('hex');
    if (actual !== recorded) mismatch('evidence', `content hashes to ${actual}, not the recorded ${recorded}`);
    return `content matches sha256 ${recorded}`;
  });
}

/** A purge manifest: its signature verifies; what it redacted is what markers are checked against. */
function checkPurgeManifest(ctx: Context, item: unknown, path: string): void {
  ctx.checks.run('signature', path, () => {
    if (typeof item !== 'string') return mismatch('bundle', `${path} is not a DSSE envelope's JSON text`);
    const { payload, key } = openEnvelope(JSON.parse(item), ctx.keys);
    const manifest = readObj(JSON.parse(new TextDecoder().decode(payload)), `${path} payload`);
    const purgeId = readString(manifest, 'purgeId', `${path} payload`);
    const redactions = Array.isArray(manifest.redactions) ? manifest.redactions.filter(isObj).map((r) => ({
      receiptId: String(r.receiptId), digest: String(r.digest), purgeId,
    })) : [];
    ctx.purges.set(purgeId, { redactions });
    return `purge manifest ${purgeId} signed by key ${key.keyId}, listing ${redactions.length} redaction(s)`;
  });
}

/** Decodes an entry without verifying it, to name it and check its statement. */
function readEntry(text: string): { envelope?: unknown; statement?: ReceiptStatement; problem?: string } {
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    return { problem: 'the entry is not JSON' };
  }
  try {
    const { payloadType, payload } = readEnvelope(envelope);
    if (payloadType !== RECEIPT_PAYLOAD_TYPE) return { envelope, problem: `the envelope carries ${payloadType}, not ${RECEIPT_PAYLOAD_TYPE}` };
    return { envelope, statement: parseReceiptStatement(payload) };
  } catch (err) {
    return { envelope, problem: messageOf(err) };
  }
}

function checkEntry(ctx: Context, item: unknown, path: string): void {
  const { checks } = ctx;
  const o = checks.read(path, () => readObj(item, path));
  const text = o && checks.read(path, () => readString(o, 'entry', path));
  if (!o || text === undefined) return;
  const { envelope, statement, problem } = readEntry(text);
  const logIndex = typeof o.logIndex === 'number' && Number.isSafeInteger(o.logIndex) && o.logIndex >= 0 ? o.logIndex : undefined;
  const subject = `${logIndex === undefined ? path : `entry ${logIndex}`}${statement ? ` (receipt ${statement.predicate.receiptId})` : ''}`;
  if (logIndex === undefined) checks.add('bundle', subject, false, `${path}.logIndex is not a non-negative integer`);
  else if (ctx.logIndexes.has(logIndex)) checks.add('bundle', subject, false, `log index ${logIndex} appears in two entries`);
  else ctx.logIndexes.add(logIndex);

  checks.run('signature', subject, () =>
    envelope === undefined ? mismatch('signature', 'the entry is not a JSON envelope') : `signed by key ${openEnvelope(envelope, ctx.keys).key.keyId}`,
  );
  checks.run('payload', subject, () => {
    if (!statement) return mismatch('payload', problem ?? 'the entry has no receipt');
    const p = statement.predicate;
    if (ctx.tenant !== undefined && p.tenant !== ctx.tenant) mismatch('payload', `the receipt is for tenant ${p.tenant}, not the bundle's tenant ${ctx.tenant}`);
    return `${p.action} by ${p.actor} at ${p.time}`;
  });
  const disclosures = checks.read(subject, () => readStrings(o, 'disclosures', path));
  if (statement && disclosures) {
    checks.run('disclosure', subject, () => {
      const names = Object.keys(revealDisclosures(statement.predicate._sd, disclosures));
      return names.length > 0 ? `discloses ${names.join(', ')}` : 'no hidden fields disclosed';
    });
  }
  if (statement && disclosures && o.redactions !== undefined) {
    checks.run('disclosure', subject, () => {
      const markers = Array.isArray(o.redactions) ? o.redactions.map((r: unknown, i) => {
        const at = `${path}.redactions[${i}]`;
        const m = readObj(r, at);
        return { receiptId: statement.predicate.receiptId, digest: readString(m, 'digest', at), purgeId: readString(m, 'purgeId', at) };
      }) : mismatch('bundle', `${path}.redactions is not an array`);
      verifyRedactions(statement, disclosures, markers, ctx.purges);
      return `${markers.length} hidden field(s) erased by ${[...new Set(markers.map((m) => m.purgeId))].join(', ')}: each digest in _sd and in the purge's signed manifest`;
    });
  }
  const proof = checks.read(subject, () => {
    const p = readObj(o.inclusionProof, `${path}.inclusionProof`);
    const at = `${path}.inclusionProof`;
    return { logIndex: readIndex(p, 'logIndex', at), treeSize: readIndex(p, 'treeSize', at), rootHash: readHash(p.rootHash, `${at}.rootHash`), hashes: readHashes(p, 'hashes', at) };
  });
  const main = ctx.main;
  if (proof && logIndex !== undefined) {
    checks.run('inclusion', subject, () => {
      if (!main) return mismatch('inclusion', 'there is no readable checkpoint to check against');
      if (proof.logIndex !== logIndex) mismatch('inclusion', `the proof is for index ${proof.logIndex}, the entry is at ${logIndex}`);
      if (proof.treeSize !== main.size) mismatch('inclusion', `the proof is for a log of size ${proof.treeSize}, the checkpoint is at size ${main.size}`);
      if (!proof.rootHash.equals(main.rootHash)) mismatch('inclusion', "the proof's root hash is not the checkpoint's root hash");
      verifyInclusion(hashLeaf(text), logIndex, main.size, proof.hashes, main.rootHash);
      return `included at index ${logIndex} in the log of size ${main.size}`;
    });
  }
  for (const ref of statement?.predicate.evidenceRefs ?? []) {
    const bundled = ctx.evidence.get(ref.id);
    if (bundled === undefined) continue;
    const ok = bundled === ref.sha256;
    checks.add('evidence', subject, ok, ok ? `evidence ${ref.id} matches the receipt` : `the receipt records evidence ${ref.id} as ${ref.sha256}, the bundle has ${bundled}`);
  }
}

/** One line per check, for a terminal. */
export function formatReport(report: BundleReport): string {
  const lines = report.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.check.padEnd(11)} ${c.subject}: ${c.detail}`);
  lines.push(report.ok ? `Bundle ${report.bundleId ?? ''} verifies.` : `Bundle ${report.bundleId ?? ''} does NOT verify: ${report.failures.length} failed checks.`);
  return `${lines.join('\n')}\n`;
}
