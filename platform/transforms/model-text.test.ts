import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { DUCKDB_DIALECT } from '../../kernel/warehouse/index.ts';
import { modelText, renderTexts } from './model-text.ts';

const TEXTS = ['', 'plain', "it's", 'C:\\path\\', "\\'", "''", '{{ this }}', "{{ text('x') }}", '%27 %41', 'line\nbreak\ttab', 'Zürich 東京 😀'];

describe.each(TEST_ENGINES)('model texts on %s', (engine) => {
  const db = useWarehouse(engine);

  it('reads back every text exactly as written', async () => {
    const selects = TEXTS.map((text, i) => `SELECT ${i} AS i, ${modelText(text)} AS v`).join(' UNION ALL ');
    const rows = await db.warehouse.query<{ i: number; v: string }>(renderTexts(`SELECT i, v FROM (${selects}) texts ORDER BY i`, db.warehouse.dialect));
    expect(rows.map((r) => r.v)).toEqual(TEXTS);
  });
});

describe('modelText', () => {
  it('refuses a text that is not Unicode, naming it', () => {
    expect(() => modelText('bad \ud800 text')).toThrow(/not Unicode text/);
  });

  it('refuses a hand-written text that is not percent-encoded, naming it', () => {
    expect(() => renderTexts("SELECT {{ text('50%') }}", DUCKDB_DIALECT)).toThrow(/\{\{ text\('50%'\) \}\} is not a text as modelText writes one/);
  });
});
