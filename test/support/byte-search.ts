import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomInt } from 'node:crypto';

/**
 * The forms a marker's bytes take in what the platform writes: as they are, and inside base64 or
 * base64url text (SD-JWT disclosures, evidence content, DSSE payloads) at each of the three byte
 * alignments — the part of the encoding that depends on the marker alone.
 */
export function markerForms(marker: string): Buffer[] {
  const bytes = Buffer.from(marker, 'utf8');
  const forms = [bytes];
  for (let shift = 0; shift < 3; shift++) {
    const text = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const inner = text.slice(4 * Math.ceil(shift / 3), 4 * Math.floor((shift + bytes.length) / 3));
    forms.push(Buffer.from(inner), Buffer.from(inner.replace(/\+/g, '-').replace(/\//g, '_')));
  }
  return forms;
}

/** How many times `forms` occur in `bytes`, looking also inside gzip streams and JSON documents' base64 `payload`s. */
function occurrences(bytes: Buffer, forms: readonly Buffer[], depth = 0): number {
  let found = 0;
  for (const form of forms) for (let at = bytes.indexOf(form); at >= 0; at = bytes.indexOf(form, at + 1)) found++;
  if (depth > 3) return found;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      found += occurrences(gunzipSync(bytes), forms, depth + 1);
    } catch { /* not a whole gzip stream */ }
  }
  if (bytes[0] === 0x7b) {
    try {
      const payload = (JSON.parse(bytes.toString('utf8')) as { payload?: unknown }).payload;
      if (typeof payload === 'string') found += occurrences(Buffer.from(payload, 'base64'), forms, depth + 1);
    } catch { /* not JSON */ }
  }
  return found;
}

/**
 * Times the folders of one search are listed again, in all, because something in them vanished or appeared while
 * they were searched (a busy ClickHouse makes a part a second per table written to), before the search gives up.
 */
const SEARCH_RELISTS = 1000;

/** A folder that kept changing under the search: not a vanished path (ENOENT), so no parent lists again for it. */
class FolderKeptChanging extends Error {}

/**
 * Adds to `hits` each file under `dir` holding any of `forms`, keyed by its path below `root`. A server may rename,
 * add or remove folders and files while they are searched (ClickHouse moving a merged part into place and removing the
 * parts it replaced, DuckDB folding its WAL into the database file): a folder is listed again after each pass and
 * where something vanished, until a listing shows nothing it has not searched — folders by path, files by path, size
 * and time of change, so a file rewritten in place is read again. What a file held before it changed stays a hit.
 * `relists` is shared by the whole search, so nested folders do not multiply it.
 */
async function searchFolder(root: string, dir: string, forms: readonly Buffer[], hits: Record<string, number>, relists: { left: number }): Promise<void> {
  const searched = new Set<string>();
  for (let pass = 0; ; pass++) {
    if (pass > 1 && relists.left-- <= 0) throw new FolderKeptChanging(`${dir} kept changing while it was searched`);
    // This folder's own listing gone: the change is its parent's, which lists it again.
    const entries = await readdir(dir, { withFileTypes: true });
    let fresh = false;
    try {
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (searched.has(path)) continue;
          fresh = true;
          await searchFolder(root, path, forms, hits, relists);
          searched.add(path);
        } else if (entry.isFile()) {
          const { size, mtimeMs } = await stat(path);
          const version = `${path}\n${size}\n${mtimeMs}`;
          if (searched.has(version)) continue;
          fresh = true;
          const n = occurrences(await readFile(path), forms);
          const at = path.slice(root.length + 1);
          if (n > 0) hits[at] = Math.max(hits[at] ?? 0, n);
          searched.add(version);
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      fresh = true;
    }
    if (!fresh) return;
  }
}

/**
 * The part of a marker a search looks for: all but its first and last four characters. A compressor extends a match
 * of the bytes around a marker into it as far as they agree (LZ4 forwards and backwards), so two markers starting
 * with the same letter behind the same JSON key are stored with the second one's first letter in a reference.
 */
function searchedPart(marker: string): string {
  return marker.length >= 24 ? marker.slice(4, -4) : marker;
}

/** Every file under `dir` holding `marker` in any of its forms, with the count: a byte search of the storage. */
export async function findMarker(dir: string, marker: string): Promise<Record<string, number>> {
  const forms = markerForms(searchedPart(marker));
  const hits: Record<string, number> = {};
  await searchFolder(dir, dir, forms, hits, { left: SEARCH_RELISTS });
  return hits;
}

/** Each of `markers` found under `dir`, with the files holding it: empty when none is recoverable. */
export async function markersIn(dir: string, markers: readonly string[]): Promise<Record<string, Record<string, number>>> {
  const found: Record<string, Record<string, number>> = {};
  for (const marker of markers) {
    const hits = await findMarker(dir, marker);
    if (Object.keys(hits).length > 0) found[marker] = hits;
  }
  return found;
}

/** Capital letters other than hex digits' (A–F) and those of ISO times (T, Z), and no O or I, to read them apart. */
const MARKER_LETTERS = 'GHJKLMNPQRSUVWXY';
const MARKER_LENGTH = 32;

/**
 * A maker of markers that LZ4 (ClickHouse's compression) keeps in one piece but for their ends. LZ4 writes any run of
 * four or more bytes seen earlier in the block as a reference to it, so a marker sharing four bytes with what came
 * before (a JSON key such as "subject" before a `subj-…` marker, a base64 pad, another marker) may be stored split,
 * and a byte search would miss it. These markers use letters only they use, and no four of them in a row repeat across
 * the markers one maker makes; a match of the bytes around one may still take a letter at either end, which
 * `findMarker` does not look for. Pad rows around them with hex (`randomBytes(n).toString('hex')`).
 */
export function markerMaker(): () => string {
  const used = new Set<string>();
  const letter = () => MARKER_LETTERS[randomInt(MARKER_LETTERS.length)]!;
  const attempt = (): string | undefined => {
    let marker = letter() + letter() + letter();
    const grams = new Set<string>();
    while (marker.length < MARKER_LENGTH) {
      const fresh = Array.from({ length: 64 }, () => marker.slice(-3) + letter()).find((gram) => !used.has(gram) && !grams.has(gram));
      if (!fresh) return undefined;
      grams.add(fresh);
      marker += fresh.at(-1);
    }
    for (const gram of grams) used.add(gram);
    return marker;
  };
  return () => {
    for (;;) {
      const marker = attempt();
      if (marker) return marker;
    }
  };
}

/**
 * The setting for platforms and tools whose DuckDB files a byte search reads: the v1.0 storage format, which stores a
 * large text as written. The default (v1.4) format's DICT_FSST keeps text as symbol codes no search finds whole, so a
 * value left behind would go unseen. How an erasure removes values (tables rewritten, free blocks overwritten) does
 * not depend on the format.
 */
export const TEXT_AS_WRITTEN_ENV = { COMPANYOS_DUCKDB_STORAGE_VERSION: 'v1.0.0' } as const;
