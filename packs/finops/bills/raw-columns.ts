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

function nullable(expression: string): string {
  return `CASE WHEN upper(trim(${expression})) IN ('', 'NULL') THEN NULL ELSE trim(${expression}) END`;
}
