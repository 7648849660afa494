import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvRecordStarts, type RecordStart, type RecordStarts } from './csv-lines.ts';

async function startsOf(text: string, chunkBytes?: number) {
  const path = join(await mkdtemp(join(tmpdir(), 'companyos-csv-lines-')), 'bill.csv');
  await writeFile(path, text);
  return csvRecordStarts(path, { chunkBytes });
}

/** The scan's rules applied to every byte in turn, with nothing skipped: what the fast scan must agree with. */
function byteByByte(bytes: Buffer): RecordStarts {
  const starts: RecordStart[] = [];
  let count = 0;
  let line = 1;
  let readerLine = 1;
  let quoted = false;
  let hasContent = false;
  let recordLine = 1;
  let recordReaderLine = 1;
  let previous = -1;
  let headerSeen = false;
  const endRecord = () => {
    if (hasContent && headerSeen) {
      starts.push({ line: recordLine, readerLine: recordReaderLine });
      count++;
    }
    if (hasContent) headerSeen = true;
    hasContent = false;
  };
  for (const byte of bytes) {
    if (byte === 0x0a) line++;
    if (quoted) quoted = byte !== 0x22;
    else if (byte === 0x0a || byte === 0x0d) {
      if (!(byte === 0x0a && previous === 0x0d)) {
        endRecord();
        readerLine++;
      }
      recordLine = byte === 0x0d ? line + 1 : line;
      recordReaderLine = readerLine;
    } else {
      quoted = byte === 0x22;
      hasContent = true;
    }
    previous = byte;
  }
  endRecord();
  const plain = starts.every((s, i) => s.line === i + 2 && s.readerLine === i + 2);
  return plain ? { count } : { count, starts };
}

describe('csvRecordStarts', () => {
  it('counts one record a line without listing them, CRLF and a last line without a break included', async () => {
    expect(await startsOf('a,b\n1,2\n3,4\n5,6')).toEqual({ count: 3 });
    expect(await startsOf('a,b\r\n1,2\r\n3,"x"\r\n')).toEqual({ count: 2 });
  });

  it('lists where each record starts once a quoted line break or a blank line moves them off line i + 2', async () => {
    expect(await startsOf('a,b\n1,"two\nlines"\n3,4\n')).toEqual({
      count: 2,
      starts: [{ line: 2, readerLine: 2 }, { line: 4, readerLine: 3 }],
    });
    expect(await startsOf('a,b\n1,2\n\n3,4\n')).toEqual({
      count: 2,
      starts: [{ line: 2, readerLine: 2 }, { line: 4, readerLine: 4 }],
    });
    expect(await startsOf('\na,b\n1,2\n')).toEqual({ count: 1, starts: [{ line: 3, readerLine: 3 }] });
  });

  it('finds the same records as a byte-by-byte reading of random files, whatever the chunks they arrive in', async () => {
    // Pieces real exports are made of, and the awkward ones: quotes doubled or left open, CR, CRLF, blank lines.
    const pieces = ['a', 'b1', ',', ',', '"', '""', '"x,y"', '"two\nlines"', '\n', '\n', '\r\n', '\r', '{""k"": ""v""}', ' '];
    let seed = 23;
    const random = (n: number) => {
      seed = (seed * 48271) % 2147483647; // Park–Miller: exact in doubles
      return Math.floor((seed / 2147483647) * n);
    };
    const drawn = new Set<string>();
    for (let round = 0; round < 300; round++) {
      let text = 'h1,h2\n';
      for (let n = random(60); n > 0; n--) {
        const piece = pieces[random(pieces.length)]!;
        drawn.add(piece);
        text += piece;
      }
      const expected = byteByByte(Buffer.from(text));
      for (const chunkBytes of [1, 3, 7, 1 << 20]) expect(await startsOf(text, chunkBytes), `${JSON.stringify(text)} in chunks of ${chunkBytes}`).toEqual(expected);
    }
    expect([...drawn].sort()).toEqual([...new Set(pieces)].sort());
  });
});
