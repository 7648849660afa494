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

    // Each marker follows a JSON key it shares no letters with, between hex pads: the layout of a stored event.
    it.skipIf(!serverData)('finds every marker in the server\'s data folder, where a `subj-…` marker behind "subject" is stored split', async () => {
      const mark = markerMaker();
      const markers = Array.from({ length: 60 }, () => mark());
      const docs = markers.map((m) => [JSON.stringify({ subject: m, note: `${m} again`, pad: randomBytes(1500).toString('hex') })]);
      await db.warehouse.execute('CREATE TABLE marked_docs (doc String) ENGINE = MergeTree ORDER BY tuple()');
      await db.warehouse.insert('marked_docs', ['doc'], docs);
      expect(Object.keys(await markersIn(serverData!, markers)).sort()).toEqual([...markers].sort());
    });
  });
});
