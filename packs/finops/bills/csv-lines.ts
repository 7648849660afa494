import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Whether the file is gzip-compressed (its magic bytes), as AWS delivers CUR exports (`.csv.gz`). */
export async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    await handle.read(magic, 0, 2, 0);
    return magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** The file's bytes as CSV text: decompressed as they stream when it is gzip. */
function csvBytes(path: string, gzip: boolean, chunkBytes: number): AsyncIterable<Buffer> {
  const file = createReadStream(path, { highWaterMark: chunkBytes });
  if (!gzip) return file as AsyncIterable<Buffer>;
  const text = file.pipe(createGunzip({ chunkSize: chunkBytes }));
  // A reader that stops early (the header) or a corrupt stream closes the file too.
  text.on('close', () => file.destroy());
  file.on('error', (error) => text.destroy(error));
  return text as AsyncIterable<Buffer>;
}

/** The header fields of a CSV file (RFC 4180 quoting, BOM stripped), gzip-compressed or not. */
export async function readCsvHeader(path: string, { gzip = false } = {}): Promise<string[]> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  // The first MB is enough for any header; the rest of the file is not read.
  for await (const chunk of csvBytes(path, gzip, 1 << 16)) {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes >= 1 << 20) break;
  }
  const text = Buffer.concat(chunks).subarray(0, 1 << 20).toString('utf8').replace(/^\uFEFF/, '');
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

/**
 * Scans the file once. Spans without a line break or a quote are skipped natively (`Buffer.indexOf`), so a line
 * costs two searches and a byte loop over its quoted part only: ~5 times cheaper than looking at every byte, which
 * matters because the scan shares two cores with DuckDB reading the same file.
 */
export async function csvRecordStarts(path: string, { chunkBytes = 1 << 20, gzip = false } = {}): Promise<RecordStarts> {
  const scan = new RecordScan();
  for await (const chunk of csvBytes(path, gzip, chunkBytes)) scan.feed(chunk);
  return scan.end();
}

function evenQuotes(chunk: Buffer, from: number, to: number): boolean {
  let quotes = 0;
  for (let i = from; i < to; i++) if (chunk[i] === QUOTE) quotes++;
  return quotes % 2 === 0;
}

class RecordScan {
  private starts: RecordStart[] | undefined;
  private count = 0;
  private line = 1;
  private readerLine = 1;
  private quoted = false;
  private recordHasContent = false;
  private recordLine = 1;
  private recordReaderLine = 1;
  private previous = -1;
  private headerSeen = false;

  feed(chunk: Buffer): void {
    const end = chunk.length;
    const next = (byte: number, from: number) => {
      const at = chunk.indexOf(byte, from);
      return at < 0 ? end : at;
    };
    let nextLF = -1;
    let nextCR = -1;
    let nextQuote = -1;
    let i = 0;
    while (i < end) {
      if (!this.quoted) {
        if (nextLF < i) nextLF = next(LF, i);
        if (nextCR < i) nextCR = next(CR, i);
        if (nextQuote < i) nextQuote = next(QUOTE, i);
        const special = Math.min(nextLF, nextCR, nextQuote);
        if (special > i) {
          this.recordHasContent = true;
          this.previous = chunk[special - 1]!;
          i = special;
          if (i === end) return;
        }
        if (special !== nextQuote) {
          this.step(chunk[i]!);
          i++;
          continue;
        }
      }
      const lineBreak = Math.min(nextLF, nextCR);
      if (!this.quoted && lineBreak < end && evenQuotes(chunk, i, lineBreak)) {
        // Quotes that pair up before the line break (LF, or the CR of a CRLF): quoted fields closed on their own line, as nearly always.
        this.recordHasContent = true;
        this.previous = chunk[lineBreak - 1]!;
        i = lineBreak;
        continue;
      }
      // A quote left open at the line break: byte by byte to the end of the line that closes the record (or of the chunk).
      for (; i < end; i++) {
        const byte = chunk[i]!;
        this.step(byte);
        if (!this.quoted && (byte === LF || byte === CR)) {
          i++;
          break;
        }
      }
    }
  }

  end(): RecordStarts {
    this.endRecord();
    return this.starts ? { count: this.count, starts: this.starts } : { count: this.count };
  }

  private step(byte: number): void {
    if (byte === LF) this.line++;
    if (this.quoted) {
      if (byte === QUOTE) this.quoted = false;
    } else if (byte === LF || byte === CR) {
      if (!(byte === LF && this.previous === CR)) {
        this.endRecord();
        this.readerLine++;
      }
      this.recordLine = byte === CR ? this.line + 1 : this.line;
      this.recordReaderLine = this.readerLine;
    } else {
      if (byte === QUOTE) this.quoted = true;
      this.recordHasContent = true;
    }
    this.previous = byte;
  }

  private endRecord(): void {
    if (this.recordHasContent) {
      if (this.headerSeen) {
        if (this.starts || this.recordLine !== this.count + 2 || this.recordReaderLine !== this.count + 2) {
          this.starts ??= Array.from({ length: this.count }, (_, i) => ({ line: i + 2, readerLine: i + 2 }));
          this.starts.push({ line: this.recordLine, readerLine: this.recordReaderLine });
        }
        this.count++;
      }
      this.headerSeen = true;
    }
    this.recordHasContent = false;
  }
}
