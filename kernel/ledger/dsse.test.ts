import { describe, expect, it } from 'vitest';
import { openEnvelope, pae, signEnvelope, verifyEnvelope, type DsseEnvelope } from './dsse.ts';
import { LedgerVerificationError } from './errors.ts';
import { generateLedgerKey } from './keys.ts';

const key = generateLedgerKey('companyos-ledger');
const other = generateLedgerKey('companyos-ledger');

function failsWith(check: string, pattern: RegExp, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LedgerVerificationError);
    expect((err as LedgerVerificationError).check).toBe(check);
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a LedgerVerificationError');
}

describe('DSSE', () => {
  it('encodes PAE as in the DSSE spec example', () => {
    expect(pae('http://example.com/HelloWorld', 'hello world').toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    expect(pae('t', 'é').toString()).toBe('DSSEv1 1 t 2 é');
    expect(pae('', Buffer.alloc(0)).toString()).toBe('DSSEv1 0  0 ');
  });

  it('signs and returns the payload bytes exactly as received', () => {
    const body = Buffer.from('{ "b": 1,\n  "a": [2, 1] }');
    const envelope = signEnvelope('application/json', body, key);
    expect(envelope.signatures).toEqual([{ keyid: key.keyId, sig: expect.any(String) }]);
    expect(verifyEnvelope(envelope, [key]).equals(body)).toBe(true);
    expect(verifyEnvelope(JSON.parse(JSON.stringify(envelope)), new Map([[key.keyId, key]])).equals(body)).toBe(true);
    expect(openEnvelope(envelope, (id) => (id === key.keyId ? key : undefined)).key).toBe(key);
  });

  it('accepts a URL-safe base64 payload and any one good signature', () => {
    const body = Buffer.from([0xfb, 0xff, 0xfe]);
    const envelope = signEnvelope('application/octet-stream', body, key);
    const urlSafe = { ...envelope, payload: body.toString('base64url') };
    const twoSigs = { ...urlSafe, signatures: [{ keyid: 'deadbeef', sig: 'AAAA' }, ...envelope.signatures] };
    expect(verifyEnvelope(twoSigs, [key]).equals(body)).toBe(true);
  });

  it('says whether the key is unknown or the signature bad', () => {
    const envelope = signEnvelope('text/plain', 'pay me 100', key);
    failsWith('signature', new RegExp(`unknown key ${key.keyId}`), () => verifyEnvelope(envelope, [other]));
    const tampered: DsseEnvelope = { ...envelope, payload: Buffer.from('pay me 900').toString('base64') };
    failsWith('signature', new RegExp(`^Signature does not verify with key ${key.keyId}\\.$`), () => verifyEnvelope(tampered, [key]));
    failsWith('signature', /does not verify/, () => verifyEnvelope({ ...envelope, payloadType: 'text/html' }, [key]));
    const badSig = { ...envelope, signatures: [{ keyid: key.keyId, sig: 'not base64!' }] };
    failsWith('signature', /does not verify/, () => verifyEnvelope(badSig, [key]));
  });

  it('rejects malformed envelopes as payload errors', () => {
    const good = signEnvelope('text/plain', 'x', key);
    for (const bad of [null, [], 'text', { ...good, payloadType: '' }, { ...good, payload: 'a b' }, { ...good, signatures: [] }, { ...good, signatures: [{ keyid: 1 }] }]) {
      failsWith('payload', /envelope/i, () => verifyEnvelope(bad, [key]));
    }
  });
});
