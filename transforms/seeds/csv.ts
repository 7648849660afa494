export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * RFC 4180 CSV: a header row, then records; fields may be quoted, with ""
 * for a quote and line breaks inside quotes. Each record keeps the line it
 * starts on, for messages.
 */
export function parseCsv(text: string): { header: string[]; records: { line: number; fields: string[] }[] } {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const endField = () => {
    fields.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    if (fields.length > 1 || fields[0] !== '') records.push({ line: recordLine, fields });
    fields = [];
  };
  const source = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (quoted) {
      if (char === '"' && source[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else {
        if (char === '\n') line++;
        field += char;
      }
    } else if (char === '"' && !fieldStarted) {
      quoted = fieldStarted = true;
    } else if (char === '"') {
      throw new CsvError(line, 'a quote inside an unquoted field (quote the whole field and double the quote)');
    } else if (char === ',') {
      endField();
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += char;
      fieldStarted = true;
    }
  }
  if (quoted) throw new CsvError(recordLine, 'a quoted field is never closed');
  if (field !== '' || fields.length) endRecord();
  const [header, ...rows] = records;
  if (!header) throw new CsvError(1, 'the file is empty; a seed needs a header row');
  for (const row of rows) {
    if (row.fields.length !== header.fields.length) {
      throw new CsvError(row.line, `${row.fields.length} fields, but the header has ${header.fields.length}`);
    }
  }
  return { header: header.fields.map((h) => h.trim()), records: rows };
}
