import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '../../../kernel/errors/index.ts';

export interface StoredUpload {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Streams a request body to a new file in `dir`, hashing it on the way, never
 * holding more than a chunk in memory. A body over `maxBytes` (declared by
 * Content-Length or found while reading) is refused with BODY_TOO_LARGE and
 * the partial file removed; so is anything else that stops the stream.
 */
export async function storeUpload(body: Readable, options: { dir: string; maxBytes: number; suffix: string; declaredBytes?: number }): Promise<StoredUpload> {
  const tooLarge = () => new DomainError('BODY_TOO_LARGE', `This upload may be at most ${options.maxBytes} bytes.`);
  if (options.declaredBytes !== undefined && options.declaredBytes > options.maxBytes) throw tooLarge();
  const path = join(options.dir, `companyos-upload-${randomUUID()}${options.suffix}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) return next(tooLarge());
      hash.update(chunk);
      next(null, chunk);
    },
  });
  try {
    await pipeline(body, measure, createWriteStream(path, { flags: 'wx' }));
  } catch (error) {
    await rm(path, { force: true });
    throw error instanceof DomainError ? error : new DomainError('BAD_REQUEST', 'The upload ended before the whole body arrived.');
  }
  return { path, bytes, sha256: hash.digest('hex') };
}
