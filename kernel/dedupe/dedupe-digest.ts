import { hash } from 'node:crypto';

/** Bytes in a dedupe digest (MD5). */
export const DIGEST_BYTES = 16;

/**
 * The dedupe digest of a key: MD5 over each part prefixed with its UTF-8 byte
 * length, so ("ab","c") and ("a","bc") differ. Adapters compute the same
 * digest in SQL (`md5(concat(strlen(c), ':', c, …))`) to rebuild their index.
 */
export function dedupeDigest(parts: readonly string[]): Buffer {
  let text = '';
  for (const part of parts) text += `${Buffer.byteLength(part)}:${part}`;
  return hash('md5', text, 'buffer');
}

/** The digest of a row's key: its values at `keyAt`, as text. */
export function rowDigest(row: readonly unknown[], keyAt: readonly number[]): Buffer {
  return dedupeDigest(keyAt.map((at) => String(row[at])));
}

/**
 * The digest of each row's key (`rowDigest`), end to end in one
 * buffer, `DIGEST_BYTES` each: what one thread computes and hands to another in one transfer.
 */
export function packedDigests(rows: readonly (readonly unknown[])[], keyAt: readonly number[]): Uint8Array<ArrayBuffer> {
  const packed = new Uint8Array(rows.length * DIGEST_BYTES);
  rows.forEach((row, i) => packed.set(rowDigest(row, keyAt), i * DIGEST_BYTES));
  return packed;
}

/** The digests `packedDigests` packed, one view each. */
export function unpackDigests(packed: Uint8Array): Uint8Array[] {
  return Array.from({ length: packed.length / DIGEST_BYTES }, (_, i) => packed.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES));
}
