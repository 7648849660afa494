import { hash } from 'node:crypto';

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
