import { describe, expect, it } from 'vitest';
import { bindParams, fromTsvField, parseTsvWithTypes, quoteString, toClickHouseLiteral, toTsvField, unescapeTsv } from './clickhouse-values.ts';

describe('ClickHouse literals', () => {
  it.each([
    ["it's", "'it\\'s'"],
    ['back\\slash', "'back\\\\slash'"],
    ['nul\0byte', "'nul\\0byte'"],
    ['new\nline\r\ttab', "'new\\nline\\r\\ttab'"],
    ["'); DROP TABLE events; --", "'\\'); DROP TABLE events; --'"],
    ['ünïcødé 🚀', "'ünïcødé 🚀'"],
  ])('quotes %j', (text, literal) => {
    expect(quoteString(text)).toBe(literal);
  });

  it('writes every other kind of value as a literal', () => {
    expect(toClickHouseLiteral(null)).toBe('NULL');
    expect(toClickHouseLiteral(42)).toBe('42');
    expect(toClickHouseLiteral(-1.5)).toBe('-1.5');
    expect(toClickHouseLiteral(12345678901234567890n)).toBe('12345678901234567890');
    expect(toClickHouseLiteral(true)).toBe('1');
    expect(toClickHouseLiteral(new Date('2026-11-22T10:00:05.900Z'))).toBe("toDateTime('2026-11-22 10:00:05', 'UTC')");
    expect(() => toClickHouseLiteral(Number.NaN)).toThrow();
    expect(() => toClickHouseLiteral(new Date('nope'))).toThrow();
  });
});

describe('bindParams', () => {
  it('fills ? outside literals, quoted names and comments', () => {
    const sql = "SELECT '?' AS q, `a?` FROM t -- why?\nWHERE a = ? AND b = ? /* ? */";
    expect(bindParams(sql, ["x'y", 3])).toBe("SELECT '?' AS q, `a?` FROM t \nWHERE a = 'x\\'y' AND b = 3 ");
  });

  it('refuses a count mismatch either way', () => {
    expect(() => bindParams('SELECT ?', [1, 2])).toThrow(/1 \?/);
    expect(() => bindParams('SELECT ?, ?', [1])).toThrow(/more \?/);
  });

  it('does not let a value end its own literal', () => {
    const bound = bindParams('SELECT * FROM t WHERE a = ?', ["\\' OR 1=1 --"]);
    expect(bound).toBe("SELECT * FROM t WHERE a = '\\\\\\' OR 1=1 --'");
  });
});

describe('TabSeparated', () => {
  it('escapes and unescapes every control character it must', () => {
    const text = 'a\tb\nc\\d\0e\rf\bg\fh';
    expect(toTsvField(text)).not.toMatch(/[\t\n\r\0]/);
    expect(unescapeTsv(toTsvField(text))).toBe(text);
  });

  it('reads typed fields into the shared JS shape, decimals as exact strings', () => {
    expect(fromTsvField('\\N', 'Nullable(String)')).toBeNull();
    expect(fromTsvField('2026-11-22 10:00:05', "DateTime('UTC')")).toEqual(new Date('2026-11-22T10:00:05Z'));
    expect(fromTsvField('42', 'UInt64')).toBe(42);
    expect(fromTsvField('18446744073709551615', 'UInt64')).toBe('18446744073709551615');
    expect(fromTsvField('12345678901234567890.0123456789', 'Decimal(38, 10)')).toBe('12345678901234567890.0123456789');
    expect(fromTsvField('0.5', 'Float64')).toBe(0.5);
  });

  it('parses a result with names and types', () => {
    const text = "n\ts\tt\nUInt64\tNullable(String)\tDateTime(\\'UTC\\')\n1\tit\\'s\t2026-11-22 10:00:05\n2\t\\N\t2026-11-22 10:00:06\n";
    expect(parseTsvWithTypes(text)).toEqual([
      { n: 1, s: "it's", t: new Date('2026-11-22T10:00:05Z') },
      { n: 2, s: null, t: new Date('2026-11-22T10:00:06Z') },
    ]);
  });
});
