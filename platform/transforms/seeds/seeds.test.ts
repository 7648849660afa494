import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../ingest/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { cloudEvent } from '../../../test/support/events.ts';
import { compileProject, CompileError } from '../compile-project.ts';
import { RAW_SOURCES } from '../raw-sources.ts';
import { runProject } from '../run-project.ts';
import { parseCsv } from './csv.ts';
import { parseSeedFile } from './seed-file.ts';

const SEEDED = fileURLToPath(new URL('../fixtures/seeded/', import.meta.url));

describe('CSV seeds', () => {
  it('read quoted fields, doubled quotes, line breaks in quotes and CRLF', () => {
    const { header, records } = parseCsv('a,b\r\n"x, y","say ""hi"""\r\n"two\nlines",\r\n');
    expect(header).toEqual(['a', 'b']);
    expect(records).toEqual([
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['two\nlines', ''] },
    ]);
  });

  it('read a BOM, LF, CR and mixed line ends, blank lines and unicode, keeping each record\'s first line', () => {
    const { header, records } = parseCsv('\uFEFF a ,b\r\n"x\r\ny",1\n\n\rzoë ☕,"2\n3"\rlast,4');
    expect(header).toEqual(['a', 'b']);
    expect(records).toEqual([
      { line: 2, fields: ['x\r\ny', '1'] },
      { line: 6, fields: ['zoë ☕', '2\n3'] },
      { line: 8, fields: ['last', '4'] },
    ]);
  });

  it('refuse text after a closing quote, and name the line a broken quoted field starts on', () => {
    expect(() => parseCsv('a,b\n1,"x"y\n')).toThrow('line 2: text after a closing quote (double a quote that is part of the field)');
    expect(() => parseCsv('a,b\n1,x"y\n')).toThrow('line 2: a quote inside an unquoted field (quote the whole field and double the quote)');
    expect(() => parseCsv('a\r\n"one\r\ntwo"\r\n\r\n"open\r\nmore\r\nlines\r\n')).toThrow('line 5: a quoted field is never closed');
    expect(() => parseCsv('a,b\n"x\ny",1\n3\n')).toThrow('line 4: 1 fields, but the header has 2');
    expect(() => parseCsv('')).toThrow('line 1: the file is empty; a seed needs a header row');
  });

  it('name the line of a broken record, and every bad column at once', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n')).toThrow('line 3: 1 fields, but the header has 2');
    expect(() => parseCsv('a\n"open\n')).toThrow('line 2: a quoted field is never closed');
    const { problems } = parseSeedFile('models/seeds/Bad-Name.csv', 'Plan,plan,plan\n');
    expect(problems.map((p) => p.message)).toEqual([
      'seed name "Bad-Name" must be lowercase letters, digits and _ (it becomes a table name)',
      'line 1, column 1: "Plan" is not a plain lowercase column name',
      'line 1: a column name appears twice',
    ]);
  });

  it('type columns from their values', () => {
    const { model } = parseSeedFile('plan_prices.csv', 'plan,monthly_usd,seats,note\npro,49.90,5,\nfree,,1,x\n');
    expect(model.seed!.columns).toEqual([
      { name: 'plan', kind: 'text' },
      { name: 'monthly_usd', kind: 'decimal' },
      { name: 'seats', kind: 'integer' },
      { name: 'note', kind: 'text' },
    ]);
  });

  it('an ephemeral model with column tests is a compile problem', async () => {
    const error = await compileProject(fileURLToPath(new URL('../fixtures/broken/', import.meta.url)), RAW_SOURCES).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompileError);
    expect((error as CompileError).message).toContain('an ephemeral model is never built, so it cannot have column tests');
  });
});

describe.each(TEST_ENGINES)('seeds and ephemeral models on %s', (engine) => {
  const db = useWarehouse(engine);

  it('load typed seed tables, inline ephemeral models, and follow build, run, test and seed modes', async () => {
    await new IngestPipeline(db.warehouse).ingest(
      [cloudEvent({ id: '1', plan: 'pro' }), cloudEvent({ id: '2', plan: 'pro' }), cloudEvent({ id: '3', plan: 'free' }), cloudEvent({ id: '4', plan: 'enterprise' })],
      { channel: 'file', submitter: 'acme' },
    );
    const project = await compileProject(SEEDED, RAW_SOURCES);

    const seeded = await runProject(db.warehouse, project, { models: ['plan_prices'], mode: 'seed' });
    expect(seeded.map((r) => [r.model, r.status, r.rows])).toEqual([['plan_prices', 'success', 3]]);
    const prices = await db.warehouse.query('SELECT plan, monthly_usd, seats, note FROM plan_prices ORDER BY plan');
    expect(prices).toEqual([
      { plan: 'enterprise', monthly_usd: '1250.5000000000', seats: 50, note: 'annual, "net 30"' },
      { plan: 'free', monthly_usd: null, seats: 1, note: 'no price' },
      { plan: 'pro', monthly_usd: '49.9000000000', seats: 5, note: null },
    ]);

    const ran = await runProject(db.warehouse, project, { models: ['priced_plans', 'priced_events'], mode: 'run' });
    expect(ran.map((r) => [r.model, r.status, r.tests.length])).toEqual([['priced_plans', 'success', 0], ['priced_events', 'success', 0]]);
    expect(ran[1]!.sql).toContain('SELECT plan, monthly_usd FROM plan_prices WHERE monthly_usd IS NOT NULL');
    expect(await db.warehouse.hasRelation('priced_plans')).toBe(false);
    expect(await db.warehouse.query('SELECT plan, events FROM priced_events ORDER BY plan')).toEqual([
      { plan: 'enterprise', events: 1 },
      { plan: 'pro', events: 2 },
    ]);

    const tested = await runProject(db.warehouse, project, { models: ['priced_events'], mode: 'test' });
    expect(tested.map((r) => [r.model, r.status, r.message, r.tests.map((t) => t.status)])).toEqual([['priced_events', 'success', 'tested', ['pass', 'pass']]]);
    expect(await db.warehouse.query('SELECT count(*) AS n FROM priced_events')).toEqual([{ n: 2 }]);
  });

  it('load any text as written, a small seed in its SELECT and a large one (or one holding a NUL) through a staging table', async () => {
    const texts = ["O'Brien", 'back\\slash \\n not a newline', 'two\nlines', 'tab\there', 'zoë ☕ 𝄞', "'; DROP TABLE events; --", '\\', ''];
    const csv = (rows: string[][]) => ['id,label,amount', ...rows.map((r) => r.map((v) => `"${v.replaceAll('"', '""')}"`).join(','))].join('\n') + '\n';
    const small = texts.map((text, i) => [String(i), text, i % 2 ? '1.5' : '']);
    const large = Array.from({ length: 2_000 }, (_, i) => [String(i), `${texts[i % texts.length]} ${'x'.repeat(40)}`, String(i)]);
    const withNul = [['1', 'a\u0000b', '2']];
    const dir = await mkdtemp(join(tmpdir(), 'seeds-text-'));
    try {
      await writeFile(join(dir, 'small_seed.csv'), csv(small));
      await writeFile(join(dir, 'large_seed.csv'), csv(large));
      await writeFile(join(dir, 'nul_seed.csv'), csv(withNul));
      const staged: string[] = [];
      const insert = db.warehouse.insert.bind(db.warehouse);
      const watched = Object.assign(Object.create(db.warehouse) as typeof db.warehouse, {
        insert: (...args: Parameters<typeof insert>) => (staged.push(args[0]), insert(...args)),
      });
      const results = await runProject(watched, await compileProject(dir, RAW_SOURCES), { mode: 'seed' });
      expect(staged.sort()).toEqual(['large_seed__seed_load', 'nul_seed__seed_load']);
      expect(results.map((r) => [r.model, r.status, r.rows]).sort()).toEqual([['large_seed', 'success', 2_000], ['nul_seed', 'success', 1], ['small_seed', 'success', texts.length]]);
      const read = async (seed: string) => (await db.warehouse.query<{ id: number; label: string | null; amount: string | null }>(`SELECT id, label, amount FROM ${seed} ORDER BY id`))
        .map((r) => [String(r.id), r.label ?? '', r.amount === null ? '' : String(Number(r.amount))]);
      expect(await read('small_seed')).toEqual(small.map(([id, label, amount]) => [id, label, amount === '' ? '' : '1.5']));
      expect(await read('large_seed')).toEqual(large);
      expect(await read('nul_seed')).toEqual(withNul);
      expect(await db.warehouse.hasRelation('large_seed__seed_load')).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
