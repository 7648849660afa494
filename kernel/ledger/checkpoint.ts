import { decodeBase64 } from './encoding.ts';
import { LedgerVerificationError } from './errors.ts';
import type { KeySource, LedgerKey } from './keys.ts';
import { signNote, verifyNote } from './note.ts';
import { HASH_SIZE } from './rfc6962.ts';

/** A C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): origin, tree size and root hash. */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
}

export interface VerifiedCheckpoint extends Checkpoint {
  /** Ids of the keys whose signatures verified. */
  keyIds: string[];
}

function fail(message: string): never {
  throw new LedgerVerificationError('checkpoint', message);
}

/** The checkpoint body: `<origin>\n<size>\n<base64 root>\n`. */
export function formatCheckpoint({ origin, size, rootHash }: Checkpoint): string {
  if (origin === '' || /[\p{Cc}\p{Cs}]/u.test(origin)) throw new TypeError('A checkpoint origin is one line of text.');
  if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('A checkpoint size is a non-negative integer.');
  if (rootHash.length !== HASH_SIZE) throw new TypeError(`A checkpoint root hash is ${HASH_SIZE} bytes.`);
  return `${origin}\n${size}\n${rootHash.toString('base64')}\n`;
}

/** Parses a checkpoint body (the note text). Extension lines after the root hash are allowed and ignored. */
export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length < 4 || lines.at(-1) !== '') fail('The checkpoint body needs an origin, a tree size and a root hash line.');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin === '') fail('The checkpoint has an empty origin line.');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    fail(`The checkpoint tree size ${JSON.stringify(sizeText)} is not a decimal number.`);
  }
  const rootHash = decodeBase64(rootText);
  if (!rootHash || rootHash.length !== HASH_SIZE) fail(`The checkpoint root hash is not base64 of ${HASH_SIZE} bytes.`);
  if (lines.slice(3, -1).some((l) => l === '')) fail('The checkpoint has an empty extension line.');
  return { origin, size: Number(sizeText), rootHash };
}

export function signCheckpoint(checkpoint: Checkpoint, key: LedgerKey): string {
  return signNote(formatCheckpoint(checkpoint), key);
}

/** Verifies a signed checkpoint note; throws LedgerVerificationError('checkpoint') with the reason. */
export function verifyCheckpoint(note: string, keys: KeySource): VerifiedCheckpoint {
  const { text, keyIds } = verifyNote(note, keys);
  return { ...parseCheckpoint(text), keyIds };
}

/** The checkpoint a note claims, signature NOT verified: for reporting on a note that failed. */
export function readCheckpointUnverified(note: string): Checkpoint | undefined {
  const split = note.lastIndexOf('\n\n');
  try {
    return split < 0 ? undefined : parseCheckpoint(note.slice(0, split + 1));
  } catch {
    return undefined;
  }
}
