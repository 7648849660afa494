/** The columns of a file as read, looked up without regard to case or surrounding spaces. */
export class RawColumns {
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(readonly names: readonly string[]) {
    for (const name of names) {
      const key = RawColumns.key(name);
      if (!this.byKey.has(key)) this.byKey.set(key, name);
    }
  }

  static key(name: string): string {
    return name.trim().toLowerCase();
  }

  has(name: string): boolean {
    return this.byKey.has(RawColumns.key(name));
  }

  /**
   * The column as text with the nulls real exports write ('', 'NULL', 'null')
   * made NULL, or a NULL literal when the file has no such column.
   */
  text(name: string): string {
    const actual = this.byKey.get(RawColumns.key(name));
    if (actual === undefined) return 'NULL';
    this.used.add(actual);
    return nullable(quote(actual));
  }

  /** The first of `names` the file has, as `text` reads it. */
  first(...names: string[]): string {
    const found = names.find((n) => this.has(n));
    return found ? this.text(found) : 'NULL';
  }

  /** Columns no mapping read: kept in `extra`. */
  unused(): string[] {
    return this.names.filter((n) => !this.used.has(n));
  }
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * `trim(text)`, which copies every string it is given (half the cost of mapping a bill), only where it can
 * change something: an ASCII text that neither starts nor ends with a space is its own trim (the spaces
 * `trim` removes are Unicode's space separators, of which ASCII has one).
 */
export function trimmed(text: string): string {
  return `(CASE WHEN prefix(${text}, ' ') OR suffix(${text}, ' ') OR length(${text}) <> strlen(${text}) THEN trim(${text}) ELSE ${text} END)`;
}

/** The text trimmed, NULL when that is '' or 'NULL' in any case (`upper(trim(text)) IN ('', 'NULL')`, cheaper). */
export function nullable(text: string): string {
  const value = trimmed(text);
  return `CASE WHEN ${value} = '' OR (length(${value}) = 4 AND upper(${value}) = 'NULL') THEN NULL ELSE ${value} END`;
}
