import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { markerMaker, markersIn } from './byte-search.ts';
import { useWarehouse } from './engines.ts';

const grams = (marker: string) => Array.from({ length: marker.length - 3 }, (_, at) => marker.slice(at, at + 4));

describe('markerMaker: markers a compressor stores whole', () => {
  it('makes markers of letters no hex, ISO time or JSON key holds, no four of them in a row made twice', () => {
    const mark = markerMaker();
    const markers = Array.from({ length: 400 }, () => mark());
    for (const marker of markers) expect(marker).toMatch(/^[GHJKLMNPQRSUVWXY]{32}$/);
    const all = markers.flatMap(grams);
    expect(new Set(all).size).toBe(all.length);
  });

  describe('on ClickHouse (LZ4 blocks)', () => {
    const db = useWarehouse('clickhouse');
    const serverData = inject('clickhouseDataPath');

    // Each marker follows a JSON key between pads: the layout of a stored event. The markers of before (`subj-` and
    // base64url behind "subject", base64 pads) share bytes with what precedes them, and LZ4 stores most of them split.
    it.skipIf(!serverData)('finds every marker in the server\'s data folder, where most `subj-…` markers behind "subject" are stored split', async () => {
      const mark = markerMaker();
      const markers = Array.from({ length: 60 }, () => mark());
      const before = Array.from({ length: 60 }, () => `subj-${randomBytes(18).toString('base64url')}`);
      const doc = (m: string, pad: string) => [JSON.stringify({ subject: m, note: `${m} again`, pad })];
      await db.warehouse.execute('CREATE TABLE marked_docs (doc String) ENGINE = MergeTree ORDER BY tuple()');
      await db.warehouse.execute('CREATE TABLE marked_docs_before (doc String) ENGINE = MergeTree ORDER BY tuple()');
      await db.warehouse.insert('marked_docs', ['doc'], markers.map((m) => doc(m, randomBytes(1500).toString('hex'))));
      await db.warehouse.insert('marked_docs_before', ['doc'], before.map((m) => doc(m, randomBytes(2000).toString('base64'))));
      expect(Object.keys(await markersIn(serverData!, markers)).sort()).toEqual([...markers].sort());
      expect(Object.keys(await markersIn(serverData!, before)).length).toBeLessThan(before.length);
    });
  });
});

describe('markersIn: a folder a server changes while it is searched', () => {
  // A ClickHouse merge writes the merged part under a temporary name, renames it into place and removes the parts it
  // replaced, at any moment: a search that listed the table before must still find what the merged part holds.
  it('finds a marker merged again and again into a new part during the search, and never fails on a vanished path', { timeout: 30_000 }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'byte-search-'));
    onTestFinished(() => rm(root, { recursive: true, force: true }));
    const marker = markerMaker()();
    const table = join(root, 'data', 'db', 'events');
    // Enough other parts that reading them takes several merges' time.
    for (let n = 0; n < 40; n++) {
      await mkdir(join(table, `all_${n}_${n}_0`), { recursive: true });
      await writeFile(join(table, `all_${n}_${n}_0`, 'data.bin'), randomBytes(256 * 1024));
    }
    const marked = Buffer.concat([randomBytes(512), Buffer.from(marker), randomBytes(512)]);
    const part = (level: number) => join(table, `all_100_101_${level}`);
    await mkdir(part(0));
    await writeFile(join(part(0), 'data.bin'), marked);
    let merging = true;
    let merges = 0;
    const merge = (async () => {
      for (; merging; merges++) {
        const merged = join(table, `tmp_merge_all_100_101_${merges + 1}`);
        await mkdir(merged);
        await writeFile(join(merged, 'data.bin'), marked);
        await rename(merged, part(merges + 1));
        // As ClickHouse removes a replaced part: renamed out of the way first, then deleted.
        await rename(part(merges), join(table, `delete_tmp_all_100_101_${merges}`));
        await rm(join(table, `delete_tmp_all_100_101_${merges}`), { recursive: true });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    onTestFinished(async () => {
      merging = false;
      await merge.catch(() => undefined);
    });
    for (let search = 0; search < 30 || merges <= 30; search++) expect(Object.keys(await markersIn(root, [marker]))).toEqual([marker]);
    merging = false;
    await merge;
  });
});
