import { describe, expect, it } from 'vitest';
import { LedgerVerificationError } from './errors.ts';
import {
  computeKeyId,
  formatVerifierKey,
  generateLedgerKey,
  keyLookup,
  ledgerKeyFromPrivate,
  ledgerKeyFromPublic,
  parseVerifierKey,
  privateKeyFromSeed,
  signBytes,
  verifyBytes,
} from './keys.ts';

// golang.org/x/mod/sumdb/note note_test.go (BSD-3-Clause): the PeterNeumann example key pair.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';

function peterKey() {
  const seed = Buffer.from(PETER_SKEY.split('+').slice(4).join('+'), 'base64').subarray(1);
  return ledgerKeyFromPrivate('PeterNeumann', privateKeyFromSeed(seed));
}

function rejectsKey(text: string): void {
  try {
    parseVerifierKey(text);
  } catch (err) {
    expect(err).toBeInstanceOf(LedgerVerificationError);
    expect((err as LedgerVerificationError).check).toBe('key');
    return;
  }
  throw new Error(`parseVerifierKey(${JSON.stringify(text)}) succeeded`);
}

describe('C2SP verifier keys', () => {
  it('parses the note spec example keys and formats them back', () => {
    const peter = parseVerifierKey(PETER_VKEY);
    expect(peter.name).toBe('PeterNeumann');
    expect(peter.keyId).toBe('c74f20a3');
    expect(peter.rawPublicKey).toHaveLength(32);
    expect(formatVerifierKey(peter)).toBe(PETER_VKEY);
    expect(parseVerifierKey(`${PETER_VKEY}\n`).keyId).toBe('c74f20a3');
    expect(parseVerifierKey(ENOCH_VKEY).keyId).toBe('af0cfe78');
  });

  it('derives the same key and id from the example private key', () => {
    const peter = peterKey();
    expect(peter.keyId).toBe('c74f20a3');
    expect(formatVerifierKey(peter)).toBe(PETER_VKEY);
  });

  it('rejects every substring and every single-byte change of a key (as note_test.go does)', () => {
    for (let i = 0; i <= PETER_VKEY.length; i++) {
      for (let j = i + 1; j <= PETER_VKEY.length; j++) {
        if (i !== 0 || j !== PETER_VKEY.length) rejectsKey(PETER_VKEY.slice(i, j));
      }
    }
    for (let i = 0; i < PETER_VKEY.length; i++) {
      rejectsKey(PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1));
    }
    rejectsKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='); // wrong length, adjusted id
    rejectsKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'); // unknown algorithm, adjusted id
  });

  it('says when the key id does not match the key', () => {
    expect(() => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/does not match/);
  });
});

describe('ledger keys', () => {
  it('generates Ed25519 keys with C2SP ids that sign and verify', () => {
    const key = generateLedgerKey('companyos-ledger', '2025-01-01T00:00:00.000Z');
    expect(key.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(key.keyId).toBe(computeKeyId('companyos-ledger', key.rawPublicKey));
    expect(key.createdAt).toBe('2025-01-01T00:00:00.000Z');
    const sig = signBytes(key, Buffer.from('hi'));
    expect(verifyBytes(key, Buffer.from('hi'), sig)).toBe(true);
    expect(verifyBytes(key, Buffer.from('ho'), sig)).toBe(false);
    expect(verifyBytes(key, Buffer.from('hi'), sig.subarray(1))).toBe(false);
    const pub = parseVerifierKey(formatVerifierKey(key));
    expect(pub.privateKey).toBeUndefined();
    expect(verifyBytes(pub, Buffer.from('hi'), sig)).toBe(true);
    expect(() => signBytes(pub, Buffer.from('hi'))).toThrow(/cannot sign/);
  });

  it('refuses names that cannot appear in a signed note', () => {
    for (const name of ['', 'a b', 'a+b', 'tab\tname']) expect(() => ledgerKeyFromPublic(name, Buffer.alloc(32))).toThrow(LedgerVerificationError);
  });

  it('looks keys up from a list, a map or a function', () => {
    const [a, b] = [generateLedgerKey('k'), generateLedgerKey('k')];
    expect(keyLookup([a, b])(b.keyId)).toBe(b);
    expect(keyLookup(new Map([[a.keyId, a]]))(a.keyId)).toBe(a);
    expect(keyLookup((id) => (id === a.keyId ? a : undefined))(b.keyId)).toBeUndefined();
  });
});
