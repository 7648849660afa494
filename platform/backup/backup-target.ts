import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Where backups go: named objects, written whole or not at all. A directory (a mounted
 * volume) now; an S3-compatible store is the next implementation of the same interface.
 */
export interface BackupTarget {
  /** For messages: where the objects are. */
  readonly description: string;
  /** Stores the local file `from` as `name`; a reader never sees it half-written. */
  put(name: string, from: string): Promise<void>;
  /** Copies `name` into the local file `to`; undefined when there is no such object. */
  get(name: string, to: string): Promise<true | undefined>;
  /** Every object name under `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** Removes the object; none there is no error. */
  delete(name: string): Promise<void>;
}

/** Object names are relative paths of plain segments: no `..`, no absolute paths, no empty segments. */
export function assertObjectName(name: string): void {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(name) || name.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`${JSON.stringify(name)} is not a backup object name`);
  }
}

/** A backup target in a local directory: each object is written beside its final name, synced, then renamed into place. */
export class DirectoryTarget implements BackupTarget {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `directory ${root}`;
  }

  async put(name: string, from: string): Promise<void> {
    assertObjectName(name);
    const path = join(this.root, name);
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.partial-${process.pid}`;
    try {
      await pipeline(createReadStream(from), createWriteStream(partial));
      const handle = await open(partial, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async get(name: string, to: string): Promise<true | undefined> {
    assertObjectName(name);
    try {
      await pipeline(createReadStream(join(this.root, name)), createWriteStream(to));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    assertObjectName(name);
    await rm(join(this.root, name), { force: true });
    // Folders left empty go too (best effort: another object may have arrived meanwhile).
    for (let dir = dirname(join(this.root, name)); dir.startsWith(this.root) && dir !== this.root; dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    const entries = await readdir(join(this.root, prefix), { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return entries
      .filter((entry) => entry.isFile() && !entry.name.includes('.partial-'))
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .sort();
  }
}
