import { randomBytes } from 'node:crypto';
import { decodeBase64Url, sha256 } from './encoding.ts';
import { LedgerVerificationError } from './errors.ts';

/** SD-JWT (RFC 9901) disclosures for object properties, with sha-256 digests. */
export const SD_ALG = 'sha-256';

const RESERVED = new Set(['_sd', '...']);

export interface Disclosure {
  salt: string;
  name: string;
  value: unknown;
  digest: string;
}

/** 128 random bits, base64url, as RFC 9901 §9.3 recommends. */
export function randomSalt(): string {
  return randomBytes(16).toString('base64url');
}

/** base64url(JSON [salt, name, value]). */
export function makeDisclosure(name: string, value: unknown, salt: string = randomSalt()): string {
  if (RESERVED.has(name)) throw new TypeError(`${name} cannot be a disclosed claim name.`);
  if (value === undefined) throw new TypeError(`Disclosure ${name} has no value.`);
  return Buffer.from(JSON.stringify([salt, name, value]), 'utf8').toString('base64url');
}

/** base64url(SHA-256(the disclosure string as ASCII)): what `_sd` lists. */
export function disclosureDigest(disclosure: string): string {
  return sha256(Buffer.from(disclosure, 'ascii')).toString('base64url');
}

function fail(message: string): never {
  throw new LedgerVerificationError('disclosure', message);
}

export function parseDisclosure(disclosure: string, label = 'The disclosure'): Disclosure {
  const bytes = typeof disclosure === 'string' ? decodeBase64Url(disclosure) : undefined;
  if (!bytes) fail(`${label} is not base64url text.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail(`${label} is not UTF-8 JSON.`);
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) fail(`${label} is not a [salt, name, value] array.`);
  const [salt, name, value] = parsed as unknown[];
  if (typeof salt !== 'string' || typeof name !== 'string') fail(`${label} has a salt or name that is not a string.`);
  if (RESERVED.has(name)) fail(`${label} uses the reserved name ${name}.`);
  return { salt, name, value, digest: disclosureDigest(disclosure) };
}

/**
 * Checks each disclosure against the `_sd` digests and returns the revealed
 * claims. Throws LedgerVerificationError('disclosure') for a malformed, repeated
 * or unlisted disclosure.
 */
export function revealDisclosures(sdDigests: readonly string[], disclosures: readonly string[]): Record<string, unknown> {
  const listed = new Set(sdDigests);
  if (listed.size !== sdDigests.length) fail('_sd lists the same digest twice.');
  const seen = new Set<string>();
  const claims: Record<string, unknown> = {};
  disclosures.forEach((text, i) => {
    const d = parseDisclosure(text, `Disclosure ${i}`);
    if (seen.has(d.digest)) fail(`Disclosure ${i} (${d.name}) is given twice.`);
    if (!listed.has(d.digest)) fail(`Disclosure ${i} (${d.name}) is not listed in _sd.`);
    if (Object.hasOwn(claims, d.name)) fail(`Two disclosures reveal ${d.name}.`);
    seen.add(d.digest);
    // defineProperty, so that a claim named __proto__ stays a plain property.
    Object.defineProperty(claims, d.name, { value: d.value, enumerable: true, writable: true, configurable: true });
  });
  return claims;
}
