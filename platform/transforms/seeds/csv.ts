import { CsvError as ParseError, parse } from 'csv-parse/sync';

export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const CR = 0x0d;
const LF = 0x0a;

/** What a csv-parse error means for whoever writes a seed by hand. */
const MEANINGS: Partial<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the whole field and double the quote)',
  CSV_INVALID_CLOSING_QUOTE: 'text after a closing quote (double a quote that is part of the field)',
};

/**
 * RFC 4180 CSV, read by csv-parse: a header row, then records; fields may be
 * quoted, with "" for a quote and line breaks inside quotes; CRLF, LF or CR
 * line ends; blank lines skipped. Each record keeps the line it starts on, for
 * messages.
 */
export function parseCsv(text: string): { header: string[]; records: { line: number; fields: string[] }[] } {
  const source = Buffer.from(text.replace(/^\uFEFF/, ''), 'utf8');
  const lineOf = lineCounter(source);
  let end = 0; // byte offset after the last record read (its line break included)
  const startLine = () => {
    let at = end;
    while (source[at] === CR || source[at] === LF) at++;
    return lineOf(at);
  };
  const records: { line: number; fields: string[] }[] = [];
  try {
    parse(source, {
      record_delimiter: ['\r\n', '\n', '\r'],
      skip_empty_lines: true,
      relax_column_count: true,
      on_record: (fields: string[], { bytes }) => {
        records.push({ line: startLine(), fields });
        end = bytes;
        return null;
      },
    });
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new CsvError(startLine(), MEANINGS[error.code] ?? error.message);
  }
  const [header, ...rows] = records;
  if (!header) throw new CsvError(1, 'the file is empty; a seed needs a header row');
  for (const row of rows) {
    if (row.fields.length !== header.fields.length) {
      throw new CsvError(row.line, `${row.fields.length} fields, but the header has ${header.fields.length}`);
    }
  }
  return { header: header.fields.map((h) => h.trim()), records: rows };
}

/** The 1-based line of a byte offset (CRLF, LF and CR each end a line); offsets must not go backwards. */
function lineCounter(source: Buffer): (offset: number) => number {
  let line = 1;
  let at = 0;
  return (offset) => {
    for (; at < offset; at++) {
      if (source[at] === LF || (source[at] === CR && source[at + 1] !== LF)) line++;
    }
    return line;
  };
}
