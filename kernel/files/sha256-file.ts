import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const READ_BYTES = 4 << 20;

/**
 * A file's SHA-256 (hex). The next piece is read while the last is hashed, into two buffers used in turn: a read
 * stream's fresh 64 KB chunks cost more than the hashing, and reading and hashing in turn left each waiting on the other
 * (a 196 MB bill: ~150 ms, against ~185 ms one after the other and 220–400 ms through a stream).
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    let [filling, spare] = [Buffer.allocUnsafe(READ_BYTES), Buffer.allocUnsafe(READ_BYTES)];
    let reading = handle.read(filling, 0, READ_BYTES, null);
    for (;;) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) break;
      const buffer = filling;
      [filling, spare] = [spare, filling];
      reading = handle.read(filling, 0, READ_BYTES, null);
      // `update` takes the bytes before it returns: the buffer is free for the read after next.
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
