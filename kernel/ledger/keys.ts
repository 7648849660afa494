import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64, sha256 } from './encoding.ts';
import { LedgerVerificationError } from './errors.ts';

/** An Ed25519 ledger key, named and identified as a C2SP signed-note key. */
export interface LedgerKey {
  /** Key name, e.g. `companyos-ledger`: no spaces, no `+`. */
  name: string;
  /** C2SP key id as 8 lowercase hex chars; also the DSSE `keyid`. */
  keyId: string;
  publicKey: KeyObject;
  /** The raw 32-byte Ed25519 public key. */
  rawPublicKey: Buffer;
  /** Present only for keys that can sign. */
  privateKey?: KeyObject;
  /** ISO time; unknown for a key parsed from a bare verifier key line. */
  createdAt?: string;
  retiredAt?: string;
}

export interface KeyDates {
  createdAt?: string;
  retiredAt?: string;
}

/** Where verifiers look keys up by key id: a list, a Map, a Keyring, or a function. */
export type KeySource =
  | Iterable<LedgerKey>
  | { get(keyId: string): LedgerKey | undefined }
  | ((keyId: string) => LedgerKey | undefined);

const ALG_ED25519 = 0x01;
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function keyError(message: string): never {
  throw new LedgerVerificationError('key', message);
}

/** C2SP key names: non-empty, no Unicode spaces, no `+`. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\p{Cs}]/u.test(name);
}

/** First 4 bytes of SHA-256(name || 0x0A || 0x01 || public key), as hex. */
export function computeKeyId(name: string, rawPublicKey: Uint8Array): string {
  return sha256(name, '\n', Buffer.from([ALG_ED25519]), rawPublicKey).subarray(0, 4).toString('hex');
}

export function ledgerKeyFromPublic(name: string, rawPublicKey: Uint8Array, dates: KeyDates = {}): LedgerKey {
  if (!isValidKeyName(name)) keyError(`Key name ${JSON.stringify(name)} is empty or has a space or a plus sign.`);
  if (rawPublicKey.length !== 32) keyError(`An Ed25519 public key is 32 bytes, not ${rawPublicKey.length}.`);
  const raw = Buffer.from(rawPublicKey);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  const key: LedgerKey = { name, keyId: computeKeyId(name, raw), publicKey, rawPublicKey: raw };
  if (dates.createdAt !== undefined) key.createdAt = dates.createdAt;
  if (dates.retiredAt !== undefined) key.retiredAt = dates.retiredAt;
  return key;
}

export function ledgerKeyFromPrivate(name: string, privateKey: KeyObject, dates: KeyDates = {}): LedgerKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') keyError('A ledger key must be an Ed25519 key.');
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { ...ledgerKeyFromPublic(name, Buffer.from(jwk.x ?? '', 'base64url'), dates), privateKey };
}

/** Builds an Ed25519 private key from its 32-byte seed (RFC 8032 private key). */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError('An Ed25519 seed is 32 bytes.');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function generateLedgerKey(name: string, createdAt: string = new Date().toISOString()): LedgerKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return ledgerKeyFromPrivate(name, privateKey, { createdAt });
}

/** The C2SP verifier key line: `<name>+<keyid hex>+<base64(0x01 || public key)>`. */
export function formatVerifierKey(key: LedgerKey): string {
  const material = Buffer.concat([Buffer.from([ALG_ED25519]), key.rawPublicKey]).toString('base64');
  return `${key.name}+${key.keyId}+${material}`;
}

/** Parses a verifier key line; throws LedgerVerificationError('key') unless it is well formed and its id matches. */
export function parseVerifierKey(text: string, dates: KeyDates = {}): LedgerKey {
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  // The base64 part may itself contain '+', so only the first two are separators.
  const first = line.indexOf('+');
  const second = line.indexOf('+', first + 1);
  if (first < 0 || second < 0) keyError('A verifier key has the form <name>+<key id>+<base64 key>.');
  const [name, id, material] = [line.slice(0, first), line.slice(first + 1, second), line.slice(second + 1)];
  if (!isValidKeyName(name)) keyError(`Verifier key name ${JSON.stringify(name)} is empty or has a space or a plus sign.`);
  if (!/^[0-9a-f]{8}$/.test(id)) keyError(`Verifier key id ${JSON.stringify(id)} is not 8 lowercase hex digits.`);
  const bytes = decodeBase64(material);
  if (!bytes) keyError(`Verifier key ${name}+${id} has a key that is not base64.`);
  if (bytes[0] !== ALG_ED25519) keyError(`Verifier key ${name}+${id} is not an Ed25519 key (algorithm byte ${bytes[0]}).`);
  if (bytes.length !== 33) keyError(`Verifier key ${name}+${id} has ${bytes.length - 1} key bytes, not 32.`);
  const key = ledgerKeyFromPublic(name, bytes.subarray(1), dates);
  if (key.keyId !== id) keyError(`Verifier key id ${id} does not match its key, whose id is ${key.keyId}.`);
  return key;
}

export function signBytes(key: LedgerKey, data: Uint8Array): Buffer {
  if (!key.privateKey) throw new Error(`Key ${key.name}+${key.keyId} has no private key and cannot sign.`);
  return sign(null, data, key.privateKey);
}

export function verifyBytes(key: LedgerKey, data: Uint8Array, signature: Uint8Array): boolean {
  return signature.length === 64 && verify(null, data, key.publicKey, signature);
}

export function keyLookup(source: KeySource): (keyId: string) => LedgerKey | undefined {
  if (typeof source === 'function') return source;
  if ('get' in source && typeof source.get === 'function') return (id) => source.get(id);
  const byId = new Map<string, LedgerKey>();
  for (const key of source as Iterable<LedgerKey>) byId.set(key.keyId, key);
  return (id) => byId.get(id);
}
