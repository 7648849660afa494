/**
 * Splits SQL text into statements at top-level semicolons, skipping those in
 * string literals, quoted identifiers and comments. Comments are dropped.
 * (ClickHouse's HTTP interface takes one statement per request.)
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  scanSql(sql, {
    code: (text) => {
      const parts = text.split(';');
      current += parts[0];
      for (const part of parts.slice(1)) {
        statements.push(current);
        current = part;
      }
    },
    quoted: (text) => {
      current += text;
    },
  });
  statements.push(current);
  return statements.map((s) => s.trim()).filter((s) => s !== '');
}

interface ScanHandlers {
  /** Plain SQL text outside literals and comments. */
  code(text: string): void;
  /** A whole literal or quoted identifier, quotes included. */
  quoted(text: string): void;
}

/**
 * Walks SQL text, telling plain code from quoted parts ('string' with
 * backslash or doubled-quote escapes, "identifier", `identifier`); comments
 * (-- and /* *\/) are skipped. Shared by statement splitting and parameter binding.
 */
export function scanSql(sql: string, on: ScanHandlers): void {
  let i = 0;
  let codeStart = 0;
  const flushCode = (end: number) => {
    if (end > codeStart) on.code(sql.slice(codeStart, end));
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      flushCode(i);
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === ch && sql[j + 1] === ch) j += 2;
        else if (sql[j] === ch) break;
        else j++;
      }
      if (j >= sql.length) throw new SyntaxError(`unterminated ${ch} in SQL`);
      on.quoted(sql.slice(i, j + 1));
      i = codeStart = j + 1;
    } else if (ch === '-' && sql[i + 1] === '-') {
      flushCode(i);
      const end = sql.indexOf('\n', i);
      i = codeStart = end < 0 ? sql.length : end;
    } else if (ch === '/' && sql[i + 1] === '*') {
      flushCode(i);
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SyntaxError('unterminated /* comment in SQL');
      i = codeStart = end + 2;
    } else {
      i++;
    }
  }
  flushCode(sql.length);
}
