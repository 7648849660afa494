import { decodeBase64, decodeBase64Url } from './encoding.ts';
import { LedgerVerificationError } from './errors.ts';
import { keyLookup, signBytes, verifyBytes, type KeySource, type LedgerKey } from './keys.ts';

/** A DSSE envelope (github.com/secure-systems-lab/dsse, protocol v1). */
export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the exact payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface OpenedEnvelope {
  payloadType: string;
  /** The payload bytes exactly as received. */
  payload: Buffer;
  /** The key whose signature verified. */
  key: LedgerKey;
}

const bytesOf = (data: Uint8Array | string): Buffer => (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));

/** PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in bytes, in decimal. */
export function pae(payloadType: string, payload: Uint8Array | string): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  const body = bytesOf(payload);
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

export function signEnvelope(payloadType: string, payload: Uint8Array | string, key: LedgerKey): DsseEnvelope {
  const body = bytesOf(payload);
  const sig = signBytes(key, pae(payloadType, body));
  return { payloadType, payload: body.toString('base64'), signatures: [{ keyid: key.keyId, sig: sig.toString('base64') }] };
}

function malformed(message: string): never {
  throw new LedgerVerificationError('payload', message);
}

/** Checks the envelope's shape and decodes its payload, without verifying anything. */
export function readEnvelope(envelope: unknown): { payloadType: string; payload: Buffer; signatures: DsseSignature[] } {
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) malformed('The envelope is not a JSON object.');
  const { payloadType, payload, signatures } = envelope as Record<string, unknown>;
  if (typeof payloadType !== 'string' || payloadType === '') malformed('The envelope has no payloadType.');
  if (typeof payload !== 'string') malformed('The envelope has no payload.');
  // The DSSE spec allows either base64 alphabet.
  const bytes = decodeBase64(payload) ?? decodeBase64Url(payload);
  if (!bytes) malformed('The envelope payload is not base64.');
  if (!Array.isArray(signatures) || signatures.length === 0) malformed('The envelope has no signatures.');
  signatures.forEach((s: unknown, i) => {
    const ok = typeof s === 'object' && s !== null && typeof (s as DsseSignature).keyid === 'string' && typeof (s as DsseSignature).sig === 'string';
    if (!ok) malformed(`Envelope signature ${i} is not {keyid, sig} strings.`);
  });
  return { payloadType, payload: bytes, signatures: signatures as DsseSignature[] };
}

/** Verifies an envelope; succeeds when any signature verifies with a known key. */
export function openEnvelope(envelope: unknown, keys: KeySource): OpenedEnvelope {
  const { payloadType, payload, signatures } = readEnvelope(envelope);
  const lookup = keyLookup(keys);
  const message = pae(payloadType, payload);
  const problems: string[] = [];
  for (const { keyid, sig } of signatures) {
    const key = lookup(keyid);
    if (!key || key.keyId !== keyid) {
      problems.push(`signed with unknown key ${keyid}`);
      continue;
    }
    const signature = decodeBase64(sig) ?? decodeBase64Url(sig);
    if (signature && verifyBytes(key, message, signature)) return { payloadType, payload, key };
    problems.push(`signature does not verify with key ${keyid}`);
  }
  const sentence = problems.join('; ');
  throw new LedgerVerificationError('signature', `${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`);
}

/** Verifies an envelope and returns its payload bytes exactly as received. */
export function verifyEnvelope(envelope: unknown, keys: KeySource): Buffer {
  return openEnvelope(envelope, keys).payload;
}
