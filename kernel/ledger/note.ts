import { decodeBase64 } from './encoding.ts';
import { LedgerVerificationError } from './errors.ts';
import { isValidKeyName, keyLookup, signBytes, verifyBytes, type KeySource, type LedgerKey } from './keys.ts';

/** C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys. */

const MAX_SIGNATURES = 100;
/** Control characters other than newline, and lone surrogates. */
const hasControl = (s: string): boolean => /[\p{Cc}\p{Cs}]/u.test(s.replaceAll('\n', ''));

export interface VerifiedNote {
  /** The signed text, ending in a newline. */
  text: string;
  /** Ids of the known keys whose signatures verified. */
  keyIds: string[];
}

function fail(message: string): never {
  throw new LedgerVerificationError('checkpoint', message);
}

export function signNote(text: string, key: LedgerKey): string {
  if (text === '' || !text.endsWith('\n') || hasControl(text)) throw new TypeError('A note text is non-empty lines each ending in a newline.');
  const signature = signBytes(key, Buffer.from(text, 'utf8'));
  const blob = Buffer.concat([Buffer.from(key.keyId, 'hex'), signature]).toString('base64');
  return `${text}\n— ${key.name} ${blob}\n`;
}

/**
 * Verifies a signed note. Signatures by keys not given are ignored, as the
 * spec says; the note must carry at least one by a given key, and every
 * signature by a given key must verify.
 */
export function verifyNote(note: string | Uint8Array, keys: KeySource): VerifiedNote {
  let message: string;
  try {
    message = typeof note === 'string' ? note : new TextDecoder('utf-8', { fatal: true }).decode(note);
  } catch {
    fail('The note is not UTF-8 text.');
  }
  if (hasControl(message)) fail('The note contains a control character.');
  const split = message.lastIndexOf('\n\n');
  if (split < 0) fail('The note has no blank line between its text and its signatures.');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) fail('The note has no signature lines, or they do not end in a newline.');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) fail(`The note has more than ${MAX_SIGNATURES} signatures.`);
  const lookup = keyLookup(keys);
  const keyIds: string[] = [];
  const unknown: string[] = [];
  lines.forEach((line, i) => {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
    const blob = m ? decodeBase64(m[2]!) : undefined;
    if (!m || !isValidKeyName(m[1]!) || !blob || blob.length < 5) fail(`Signature line ${i + 1} of the note is malformed.`);
    const name = m[1]!;
    const id = blob.subarray(0, 4).toString('hex');
    const key = lookup(id);
    if (!key || key.name !== name || key.keyId !== id) {
      unknown.push(`${name}+${id}`);
      return;
    }
    if (!verifyBytes(key, Buffer.from(text, 'utf8'), blob.subarray(4))) fail(`The signature by key ${name}+${id} does not verify.`);
    if (!keyIds.includes(id)) keyIds.push(id);
  });
  if (keyIds.length === 0) fail(`The note is signed only by unknown keys: ${unknown.join(', ')}.`);
  return { text, keyIds };
}
