import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
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
