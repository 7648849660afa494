import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvRecordStarts } from './csv-lines.ts';

async function startsOf(text: string) {
  const path = join(await mkdtemp(join(tmpdir(), 'companyos-csv-lines-')), 'bill.csv');
  await writeFile(path, text);
  return csvRecordStarts(path);
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
});
