import { describe, expect, it } from 'vitest';
import { StatementNames } from './postgres-statement-names.ts';

const limits = { names: 2, usesBeforeNaming: 3, countedTexts: 4, params: 3, textLength: 60 };
const nameAfter = (names: StatementNames, sql: string, uses: number, params: unknown[] = ['a']) => {
  let name: string | undefined;
  for (let i = 0; i < uses; i++) name = names.config(sql, params as never).name;
  return name;
};

describe('statement names for the PostgreSQL state store', () => {
  it('names a text on its third use, as $n placeholders, and keeps the name', () => {
    const names = new StatementNames(limits);
    expect(nameAfter(names, 'SELECT a FROM t WHERE k = ?', 2)).toBeUndefined();
    const config = names.config('SELECT a FROM t WHERE k = ?', ['x']);
    expect(config).toEqual({ text: 'SELECT a FROM t WHERE k = $1', name: 'companyos_0', values: ['x'] });
    expect(names.config('SELECT a FROM t WHERE k = ?', ['y']).name).toBe('companyos_0');
    // Without parameters: the simple protocol, never named.
    expect(nameAfter(names, 'COMMIT', 5, [])).toBeUndefined();
  });

  it('leaves unnamed texts with many parameters, long texts, and every text once the names are handed out', () => {
    const names = new StatementNames(limits);
    expect(nameAfter(names, 'INSERT INTO t VALUES (?, ?), (?, ?)', 5, [1, 2, 3, 4])).toBeUndefined();
    expect(nameAfter(names, `SELECT a FROM t WHERE k = ? AND note <> '${'x'.repeat(60)}'`, 5)).toBeUndefined();
    expect(nameAfter(names, 'SELECT 1 FROM t WHERE k = ?', 3)).toBe('companyos_0');
    expect(nameAfter(names, 'SELECT 2 FROM t WHERE k = ?', 3)).toBe('companyos_1');
    expect(nameAfter(names, 'SELECT 3 FROM t WHERE k = ?', 9)).toBeUndefined();
  });

  it('starts counting over when too many texts are counted, so texts made once never crowd out the others', () => {
    const names = new StatementNames(limits);
    nameAfter(names, 'SELECT a FROM t WHERE k = ?', 2);
    for (let i = 0; i < 4; i++) names.config(`SELECT a FROM t WHERE k = ? LIMIT ${i}`, ['a']);
    expect(nameAfter(names, 'SELECT a FROM t WHERE k = ?', 1)).toBeUndefined();
    expect(nameAfter(names, 'SELECT a FROM t WHERE k = ?', 2)).toBe('companyos_0');
  });

  it('names a text anew after PostgreSQL refused its kept plan for a changed result, and only then', () => {
    const names = new StatementNames(limits);
    const sql = 'SELECT * FROM t WHERE k = ?';
    expect(nameAfter(names, sql, 3)).toBe('companyos_0');
    names.forget({ code: '0A000', message: 'some other unsupported feature' }, sql);
    expect(names.config(sql, ['a']).name).toBe('companyos_0');
    names.forget({ code: '0A000', message: 'cached plan must not change result type' }, sql);
    expect(nameAfter(names, sql, 2)).toBeUndefined();
    expect(nameAfter(names, sql, 1)).toBe('companyos_1');
  });
});
