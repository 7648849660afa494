import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** The header fields of a CSV file (RFC 4180 quoting, BOM stripped). */
export async function readCsvHeader(path: string): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (quoted) {
        if (char === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (char === '"') quoted = false;
        else field += char;
      } else if (char === '"') quoted = true;
      else if (char === ',') {
        fields.push(field);
        field = '';
      }
      else if (char === '\n' || char === '\r') break;
      else field += char;
    }
    fields.push(field);
    return fields.length === 1 && fields[0] === '' ? [] : fields;
  } finally {
    await handle.close();
  }
}

/**
 * Where each record of a CSV file starts. `line` is the physical line (1-based,
 * counting line breaks inside quoted fields); `readerLine` is the line number
 * DuckDB's CSV reader reports for it, which counts a record as one line.
 */
export interface RecordStart {
  line: number;
  readerLine: number;
}

/** The data records of a CSV file (not the header, not blank lines). */
export interface RecordStarts {
  count: number;
  /**
   * Where each starts, in file order; absent when record i (0-based) is on line i + 2 and the reader counts it there
   * too — one line a record, the header on line 1, no blank line — as in most exports: a million-record file's list
   * cost ~1 s to hand to the database.
   */
  starts?: RecordStart[];
}

export async function csvRecordStarts(path: string): Promise<RecordStarts> {
  let starts: RecordStart[] | undefined;
  let count = 0;
  let line = 1;
  let readerLine = 1;
  let quoted = false;
  let recordHasContent = false;
  let recordLine = 1;
  let recordReaderLine = 1;
  let previous = -1;
  let headerSeen = false;
  const endRecord = () => {
    if (recordHasContent) {
      if (headerSeen) {
        if (starts || recordLine !== count + 2 || recordReaderLine !== count + 2) {
          starts ??= Array.from({ length: count }, (_, i) => ({ line: i + 2, readerLine: i + 2 }));
          starts.push({ line: recordLine, readerLine: recordReaderLine });
        }
        count++;
      }
      headerSeen = true;
    }
    recordHasContent = false;
  };
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === LF) line++;
      if (quoted) {
        if (byte === QUOTE) quoted = false;
      } else if (byte === LF || byte === CR) {
        if (!(byte === LF && previous === CR)) {
          endRecord();
          readerLine++;
        }
        recordLine = byte === CR ? line + 1 : line;
        recordReaderLine = readerLine;
      } else {
        if (byte === QUOTE) quoted = true;
        recordHasContent = true;
      }
      previous = byte;
    }
  }
  endRecord();
  return starts ? { count, starts } : { count };
}
