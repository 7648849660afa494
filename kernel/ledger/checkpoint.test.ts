import { describe, expect, it } from 'vitest';
import { formatCheckpoint, parseCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint.ts';
import { LedgerVerificationError } from './errors.ts';
import { formatVerifierKey, generateLedgerKey, ledgerKeyFromPrivate, parseVerifierKey, privateKeyFromSeed } from './keys.ts';
import { EMPTY_ROOT, hashLeaf } from './merkle.ts';
import { signNote, verifyNote } from './note.ts';

// golang.org/x/mod/sumdb/note note_test.go (BSD-3-Clause).
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// A real sum.golang.org checkpoint with two witness cosignatures by a key we do not have, from
// google/trillian-examples witness/golang/cmd/addrwitness/README.md @ 7fc8e4db9946d0c5bee741b8d26d58befb39fcc7 (Apache-2.0).
const SUMDB_VKEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const SUMDB_NOTE = [
  'go.sum database tree',
  '15081221',
  'BoMMe1wd25Tco0mYGROkyqxHZWx+hcSCtMV315Lu6Lg=',
  '',
  '— sum.golang.org Az3grilD7vQqTrv66jRgKM84Y80KTprrSt4bKmiOPxgmS5ZVBTeCl6dUvjYnN13R+C8j0jGY1WnUADGMkok3U0m2Zgo=',
  '— test.example.com qTGhC3917mAr6hGh+T55tNjxaej/D/GQivJZRIj7XGdAcQOTqfMWIPgp/v/904LEduN/h2sSRtHUJXUL4b9Gm7Bz4Qc=',
  '— test.example.com /Pa7Y/dUvWMAAAAAQVwkQVi81ArPV7BIaQYrMIxyzY0m8a4BdeeBhSKd3PviPK4/3Sd+NKSc5N7PDTCfAkUSVniN+R2oKIggA4iiDQ==',
  '',
].join('\n');

const peter = ledgerKeyFromPrivate('PeterNeumann', privateKeyFromSeed(PETER_SEED));
const [peterPub, enochPub] = [parseVerifierKey(PETER_VKEY), parseVerifierKey(ENOCH_VKEY)];
const key = generateLedgerKey('companyos-ledger');
const cp = { origin: 'companyos.dev/ledger/acme', size: 10, rootHash: hashLeaf('root') };

function fails(pattern: RegExp, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LedgerVerificationError);
    expect((err as LedgerVerificationError).check).toBe('checkpoint');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a checkpoint LedgerVerificationError');
}

describe('signed notes (golang.org/x/mod/sumdb/note examples)', () => {
  it('signs the example note exactly as the Go implementation does', () => {
    expect(formatVerifierKey(peter)).toBe(PETER_VKEY);
    expect(signNote(TEXT, peter)).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('verifies with the known keys and ignores unknown ones', () => {
    expect(verifyNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peterPub])).toEqual({ text: TEXT, keyIds: ['c74f20a3'] });
    expect(verifyNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peterPub, enochPub]).keyIds).toEqual(['c74f20a3', 'af0cfe78']);
    fails(/only by unknown keys: PeterNeumann\+c74f20a3, EnochRoot\+af0cfe78/, () => verifyNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, []));
  });

  it('rejects an invalid signature by a known key', () => {
    fails(/signature by key PeterNeumann\+c74f20a3 does not verify/, () => verifyNote(`${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`, [peterPub]));
  });

  it('rejects the malformed messages of note_test.go', () => {
    const bad: (string | Uint8Array)[] = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\u0001${TEXT}\n${PETER_SIG}`,
      Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]),
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n${PETER_SIG.repeat(101)}`,
    ];
    for (const note of bad) fails(/./, () => verifyNote(note, [peterPub]));
  });
});

describe('checkpoints (C2SP tlog-checkpoint)', () => {
  it('verifies a real sum.golang.org checkpoint carrying witness cosignatures', () => {
    const verified = verifyCheckpoint(SUMDB_NOTE, [parseVerifierKey(SUMDB_VKEY)]);
    expect(verified.origin).toBe('go.sum database tree');
    expect(verified.size).toBe(15081221);
    expect(verified.rootHash.toString('base64')).toBe('BoMMe1wd25Tco0mYGROkyqxHZWx+hcSCtMV315Lu6Lg=');
    expect(verified.keyIds).toEqual(['033de0ae']);
    fails(/does not verify/, () => verifyCheckpoint(SUMDB_NOTE.replace('15081221', '15081222'), [parseVerifierKey(SUMDB_VKEY)]));
  });

  it('refuses a signed note that is not a checkpoint', () => {
    fails(/needs an origin, a tree size and a root hash/, () => verifyCheckpoint(`${TEXT}\n${PETER_SIG}`, [peterPub]));
  });

  it('signs origin, size and root hash in the C2SP format', () => {
    const note = signCheckpoint(cp, key);
    const [body, sigLine] = note.split('\n\n');
    expect(body).toBe(`companyos.dev/ledger/acme\n10\n${cp.rootHash.toString('base64')}`);
    expect(sigLine).toMatch(/^\u2014 companyos-ledger [A-Za-z0-9+/]+=*\n$/);
    const blob = Buffer.from(sigLine!.split(' ')[2]!, 'base64');
    expect(blob).toHaveLength(68);
    expect(blob.subarray(0, 4).toString('hex')).toBe(key.keyId);
    expect(verifyCheckpoint(note, [key])).toEqual({ ...cp, keyIds: [key.keyId] });
    expect(verifyCheckpoint(signCheckpoint({ ...cp, size: 0, rootHash: EMPTY_ROOT }, key), [key]).size).toBe(0);
  });

  it('rejects tampered checkpoints with a reason', () => {
    const note = signCheckpoint(cp, key);
    const other = { ...cp, rootHash: hashLeaf('other') };
    fails(/does not verify/, () => verifyCheckpoint(note.replace('\n10\n', '\n11\n'), [key]));
    fails(/does not verify/, () => verifyCheckpoint(note.replace('acme', 'acne'), [key]));
    fails(/does not verify/, () => verifyCheckpoint(note.replace(cp.rootHash.toString('base64'), other.rootHash.toString('base64')), [key]));
    fails(/unknown keys: companyos-ledger\+/, () => verifyCheckpoint(note, [generateLedgerKey('companyos-ledger')]));
    fails(/no blank line/, () => verifyCheckpoint(note.replace('\n\n', '\n'), [key]));
    for (const size of ['+10', '010', '1e3', '-1', '', '9007199254740993']) {
      const resigned = signNote(`companyos.dev/ledger/acme\n${size}\n${cp.rootHash.toString('base64')}\n`, key);
      fails(/tree size/, () => verifyCheckpoint(resigned, [key]));
    }
    fails(/root hash/, () => verifyCheckpoint(signNote('o\n1\nAAAA\n', key), [key]));
    fails(/needs an origin/, () => verifyCheckpoint(signNote('o\n1\n', key), [key]));
  });

  it('allows extension lines after the root hash', () => {
    const text = `${formatCheckpoint(cp)}extension line\n`;
    expect(parseCheckpoint(text)).toEqual(cp);
    expect(verifyCheckpoint(signNote(text, key), [key]).size).toBe(10);
  });
});
