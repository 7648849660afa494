import { describe, expect, it } from 'vitest';
import { disclosureDigest, makeDisclosure, parseDisclosure, revealDisclosures } from './disclosure.ts';
import { LedgerVerificationError } from './errors.ts';

// RFC 9901 (SD-JWT) examples, as printed in the RFC.
const GIVEN_NAME = 'WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd'; // §5.1, ["2GLC42sKQveCfGfryNRN9w", "given_name", "John"]
const FAMILY_NAME = 'WyJlbHVWNU9nM2dTTklJOEVZbnN4QV9BIiwgImZhbWlseV9uYW1lIiwgIkRvZSJd'; // §5.1, ["eluV5Og3gSNII8EYnsxA_A", "family_name", "Doe"]
const MOBIUS = 'WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0'; // §4.2.1
const MOBIUS_COMPACT = 'WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsImZhbWlseV9uYW1lIiwiTcO2Yml1cyJd'; // §4.2.1, no whitespace
const ARRAY_ELEMENT = 'WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIlVTIl0'; // §5.1, ["lklxF5jMYlGTPUovMNIvCA", "US"]
const RFC_SD = [
  'CrQe7S5kqBAHt-nMYXgc6bdt2SH5aTY1sU_M-PgkjPI',
  'JzYjH4svliH0R3PyEMfeZu6Jt69u5qehZo7F7EPYlSE',
  'PorFbpKuVu6xymJagvkFsFXAbRoc2JGlAUA2BA4o7cI',
  'TGf4oLbgwd5JQaHyKVQZU9UdGE0w5rtDsrZzfUaomLo',
  'XQ_3kPKt1XyX7KANkqVR6yZ2Va5NrPIvPYbyMvRKBMM',
  'XzFrzwscM6Gn6CJDc6vVK8BkMnfG8vOSKfpPIZdAfdE',
  'gbOsI4Edq2x2Kw-w5wPEzakob9hV1cRD0ATN3oQL9JM',
  'jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4',
];

function rejected(pattern: RegExp, sd: string[], disclosures: string[]): void {
  try {
    revealDisclosures(sd, disclosures);
  } catch (err) {
    expect(err).toBeInstanceOf(LedgerVerificationError);
    expect((err as LedgerVerificationError).check).toBe('disclosure');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected the disclosures to be rejected');
}

describe('SD-JWT disclosures (RFC 9901)', () => {
  it('computes the RFC example digests', () => {
    expect(disclosureDigest(GIVEN_NAME)).toBe('jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4');
    expect(disclosureDigest(MOBIUS)).toBe('X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0');
    expect(parseDisclosure(GIVEN_NAME)).toEqual({ salt: '2GLC42sKQveCfGfryNRN9w', name: 'given_name', value: 'John', digest: 'jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4' });
  });

  it('encodes [salt, name, value] as the RFC compact example does', () => {
    expect(makeDisclosure('family_name', 'Möbius', '_26bc4LT-ac6q2KI6cBW5es')).toBe(MOBIUS_COMPACT);
    expect(parseDisclosure(MOBIUS_COMPACT)).toMatchObject({ name: 'family_name', value: 'Möbius' });
  });

  it('uses a fresh 128-bit salt by default', () => {
    const [a, b] = [makeDisclosure('rationale', 'because'), makeDisclosure('rationale', 'because')];
    expect(a).not.toBe(b);
    expect(Buffer.from(parseDisclosure(a).salt, 'base64url')).toHaveLength(16);
    expect(() => makeDisclosure('_sd', 'x')).toThrow(TypeError);
  });

  it('reveals disclosures listed in _sd', () => {
    expect(revealDisclosures(RFC_SD, [GIVEN_NAME, FAMILY_NAME])).toEqual({ given_name: 'John', family_name: 'Doe' });
    expect(revealDisclosures(RFC_SD, [])).toEqual({});
    const proto = makeDisclosure('__proto__', 'x');
    const claims = revealDisclosures([disclosureDigest(proto)], [proto]);
    expect(Object.getOwnPropertyDescriptor(claims, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(claims)).toBe(Object.prototype);
  });

  it('rejects unlisted, repeated and malformed disclosures', () => {
    rejected(/Disclosure 0 \(family_name\) is not listed in _sd/, RFC_SD, [MOBIUS]);
    rejected(/given twice/, RFC_SD, [GIVEN_NAME, GIVEN_NAME]);
    rejected(/not a \[salt, name, value\] array/, [disclosureDigest(ARRAY_ELEMENT)], [ARRAY_ELEMENT]);
    rejected(/not base64url/, RFC_SD, ['not base64url!']);
    rejected(/not base64url/, RFC_SD, [`${GIVEN_NAME}=`]);
    const notJson = Buffer.from('["a", "b"').toString('base64url');
    rejected(/not UTF-8 JSON/, [disclosureDigest(notJson)], [notJson]);
    const numericName = Buffer.from('["salt", 7, "x"]').toString('base64url');
    rejected(/not a string/, [disclosureDigest(numericName)], [numericName]);
    const reserved = Buffer.from('["salt", "...", "x"]').toString('base64url');
    rejected(/reserved name/, [disclosureDigest(reserved)], [reserved]);
    const [x1, x2] = [makeDisclosure('x', 1), makeDisclosure('x', 2)];
    rejected(/Two disclosures reveal x/, [disclosureDigest(x1), disclosureDigest(x2)], [x1, x2]);
    rejected(/same digest twice/, [disclosureDigest(x1), disclosureDigest(x1)], [x1]);
  });
});
