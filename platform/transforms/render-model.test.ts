import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_DIALECT } from '../../kernel/warehouse/clickhouse/clickhouse-dialect.ts';
import { DUCKDB_DIALECT } from '../../kernel/warehouse/duckdb/duckdb-dialect.ts';
import type { CompiledProject } from './compile-project.ts';
import type { ModelFile } from './model-file.ts';
import { renderModel } from './render-model.ts';

const model = (body: string): ModelFile => ({
  name: 'counts', path: 'counts.sql', body, refs: [], sources: [],
  config: { materialized: 'incremental', uniqueKey: ['k'], tags: [], description: '', columns: {} },
});
const project: CompiledProject = { models: new Map(), order: [], parents: new Map(), children: new Map() };
const render = (body: string, isIncremental: boolean, dialect = DUCKDB_DIALECT, fullRefresh?: boolean) =>
  renderModel(model(body), { dialect, project, isIncremental, fullRefresh }).replace(/\s+/g, ' ');

describe('renderModel: conditional blocks', () => {
  const body = `{% if is_incremental() and unique_rows() %}fold{% else %}scan{% if is_incremental() %} touched{% endif %}{% endif %}`;

  it('keeps the branch its tests choose: and-ed, not-ed, with an else, nested', () => {
    expect(render(body, false)).toBe('scan');
    expect(render(body, true)).toBe('fold');
    expect(render(body, false, CLICKHOUSE_DIALECT)).toBe('scan');
    expect(render(body, true, CLICKHOUSE_DIALECT)).toBe('scan touched');
    expect(render('a{% if not unique_rows() %} b{% endif %}{%- if not is_incremental() -%} c{%- endif -%}', true)).toBe('a');
    expect(render('a{% if not unique_rows() %} b{% endif %}{%- if not is_incremental() -%} c{%- endif -%}', false, CLICKHOUSE_DIALECT)).toBe('a b c');
  });

  it('tells a full-refresh build by full_refresh()', () => {
    const body = '{% if not full_refresh() and not unique_rows() %}touched{% else %}none{% endif %}';
    expect(render(body, false, CLICKHOUSE_DIALECT)).toBe('touched');
    expect(render(body, false, CLICKHOUSE_DIALECT, true)).toBe('none');
    expect(render(body, false, DUCKDB_DIALECT)).toBe('none');
  });

  it('leaves a block with a test it does not know to the engine, which reports it', () => {
    expect(render('SELECT 1 {% if is_full_moon() %}x{% endif %}', true)).toBe('SELECT 1 {% if is_full_moon() %}x{% endif %}');
  });

  it('renders the watermark as the epoch over no rows where max of nothing is NULL', () => {
    expect(render(`SELECT {{ watermark('at') }} FROM {{ this }}`, true)).toBe("SELECT coalesce(max(at), TIMESTAMP '1970-01-01 00:00:00') FROM counts");
    expect(render(`SELECT {{ watermark('at') }} FROM {{ this }}`, true, CLICKHOUSE_DIALECT)).toBe('SELECT max(at) FROM counts');
  });

  it('renders the reread watermark an hour back where stamps do not follow commit order, without wrapping below the epoch', () => {
    expect(render(`SELECT {{ reread_watermark('at') }} FROM {{ this }}`, true)).toBe("SELECT coalesce(max(at), TIMESTAMP '1970-01-01 00:00:00') FROM counts");
    expect(render(`SELECT {{ reread_watermark('at') }} FROM {{ this }}`, true, CLICKHOUSE_DIALECT)).toBe('SELECT (greatest(max(at), toDateTime(3600)) - 3600) FROM counts');
  });

  it('renders a watermark some seconds back, never below the epoch, and the first and last times', () => {
    expect(render(`SELECT {{ watermark_before('at', '10800') }} FROM {{ this }}`, true, CLICKHOUSE_DIALECT)).toBe('SELECT (greatest(max(at), toDateTime(10800)) - 10800) FROM counts');
    expect(render(`WHERE at >= {{ time_limit('earliest') }} AND at <= {{ time_limit('latest') }}`, true, CLICKHOUSE_DIALECT))
      .toBe("WHERE at >= toDateTime(0, 'UTC') AND at <= toDateTime(4294967295, 'UTC')");
    expect(() => render(`SELECT {{ watermark_before('at', '1.5') }}`, true)).toThrow('"1.5" is not a whole number of seconds');
    expect(() => render(`WHERE at < {{ time_limit('earlist') }}`, true)).toThrow("time_limit takes 'earliest' or 'latest', not 'earlist'");
  });
});
