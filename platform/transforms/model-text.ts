import { WarehouseError, type Dialect } from '../../kernel/warehouse/index.ts';

/** `{{ text('…') }}`, percent-encoded: what `modelText` writes and `renderTexts` reads. */
const TEXT = /\{\{\s*text\(\s*'([^']*)'\s*\)\s*\}\}/g;

/**
 * A text as a string literal in a model's SQL, for a model generated from a file (a rules file's tag value, an SLO's
 * flow). It is written as `{{ text('…') }}`, percent-encoded, and becomes the engine's literal when the model is
 * rendered, last: each engine escapes differently (ClickHouse reads a backslash as an escape, DuckDB does not), and
 * nothing in the text (a quote, `{{ this }}`) is read as SQL or template syntax.
 */
export function modelText(text: string): string {
  if (/\p{Cs}/u.test(text)) throw new WarehouseError(`"${text}" is not Unicode text (it holds a lone surrogate)`);
  return `{{ text('${encodeURIComponent(text).replaceAll("'", '%27')}') }}`;
}

/** The `modelText` literals of rendered SQL as the engine's string literals. */
export function renderTexts(sql: string, dialect: Dialect): string {
  return sql.replace(TEXT, (written: string, encoded: string) => {
    let text: string;
    try {
      text = decodeURIComponent(encoded);
    } catch {
      throw new WarehouseError(`${written} is not a text as modelText writes one (percent-encoded UTF-8)`);
    }
    return dialect.textLiteral(text);
  });
}
