import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompileError, compileProject } from './compile-project.ts';
import { parseModelFile } from './model-file.ts';
import type { ModelGenerator } from './model-generator.ts';
import { selectModels } from './select-models.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}/`, import.meta.url));
const SOURCES = { raw: ['events', 'events_quarantine'] };

describe('compileProject', () => {
  it('reads configs, refs and sources, and orders every model after what it refs', async () => {
    const project = await compileProject(fixture('good'), SOURCES);
    expect(project.order).toEqual(['stg_events', 'daily_counts', 'tenant_totals']);
    const daily = project.models.get('daily_counts')!;
    expect(daily.config).toMatchObject({ materialized: 'incremental', uniqueKey: ['tenant_id', 'day'], tags: ['meters'] });
    expect(daily.config.columns.tenant_id!.tests).toEqual([
      { name: 'not_null', severity: 'error' },
      expect.objectContaining({ name: 'relationships', to: 'stg_events', field: 'tenant_id' }),
    ]);
    expect(project.models.get('stg_events')!.sources).toEqual([['raw', 'events']]);
    expect(project.children.get('stg_events')).toEqual(['daily_counts']);
    expect(project.parents.get('daily_counts')).toEqual(['stg_events']); // by ref and by its relationships test
  });

  it('gives the same project again while no file under the folder changed, and a new one after any edit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compile-'));
    try {
      await cp(fixture('good'), dir, { recursive: true });
      const first = await compileProject(dir, SOURCES);
      expect(await compileProject(dir, SOURCES)).toBe(first);
      // An edit within the same second, of the same length: seen by content, not by modification time.
      const path = join(dir, 'staging', 'stg_events.sql');
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replace('SELECT tenant_id', 'SELECT tenant_iD'));
      const edited = await compileProject(dir, SOURCES);
      expect(edited).not.toBe(first);
      expect(edited.models.get('stg_events')!.body).toContain('tenant_iD');
      // A file a generator reads counts too; other sources are another project.
      await writeFile(join(dir, 'declared.yaml'), 'x: 1');
      const generated = await compileProject(dir, SOURCES);
      expect(generated).not.toBe(edited);
      const otherSources = await compileProject(dir, { raw: [...SOURCES.raw, 'bill_rows'] });
      expect(otherSources).not.toBe(generated);
      expect(await compileProject(dir, { raw: [...SOURCES.raw, 'bill_rows'] })).toBe(otherSources);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sees a change in what a generator read outside the folder, and compiles a folder it cannot fully read afresh', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compile-'));
    const outside = await mkdtemp(join(tmpdir(), 'declared-'));
    try {
      await cp(fixture('good'), dir, { recursive: true });
      await writeFile(join(outside, 'one.yaml'), 'x: 1');
      const generators: ModelGenerator[] = [{ reads: outside, generate: async () => ({ models: [], problems: [], inputs: [outside] }) }];
      const first = await compileProject(dir, SOURCES, generators);
      expect(await compileProject(dir, SOURCES, generators)).toBe(first);
      await writeFile(join(outside, 'two.yaml'), 'x: 2');
      const second = await compileProject(dir, SOURCES, generators);
      expect(second).not.toBe(first);
      expect(await compileProject(dir, SOURCES, generators)).toBe(second);
      // A declaration that cannot be read (a dangling link) leaves the project uncached, not failing.
      await symlink(join(outside, 'gone.yaml'), join(dir, 'dangling.yaml'));
      const third = await compileProject(dir, SOURCES, generators);
      expect(third.order).toEqual(first.order);
      expect(await compileProject(dir, SOURCES, generators)).not.toBe(third);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('builds the target of a relationships test before the model tested against it', async () => {
    const project = await compileProject(fixture('tested'), SOURCES);
    expect(project.order).toEqual(['tenants', 'plans', 'after_plans']);
    expect(project.parents.get('plans')).toEqual(['tenants']);
  });

  it('reports every broken model at once: cycle, unknown ref, bad config, unknown source, an unlisted raw read', async () => {
    const error = await compileProject(fixture('broken'), SOURCES).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompileError);
    const messages = (error as CompileError).problems.map((p) => `${p.path.split('/').pop()}: ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^b\.sql: ref\('stg_event'\) names no model \(did you mean "stg_events"\?\)$/),
        expect.stringMatching(/^c\.sql: materialized must be one of view, table, incremental, ephemeral; got "snapshot"$/),
        expect.stringMatching(/^c\.sql: unknown config key "colour"/),
        expect.stringMatching(/^c\.sql: source\('raw', 'bills'\) is not a declared source$/),
        expect.stringMatching(/^a\.sql: ref cycle: a → b → a$/),
        expect.stringMatching(/^d\.sql: an ephemeral model is never built, so it cannot have column tests$/),
        expect.stringMatching(/^unlisted_raw_read\.sql: reads the raw table "events" without listing it among its sources$/),
      ]),
    );
    expect(messages).toHaveLength(7);
  });
});

describe('parseModelFile', () => {
  it('explains a header that is not YAML and a model without SQL', () => {
    const { problems } = parseModelFile('m.sql', '/*---\nmaterialized: [table\n---*/\n');
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/not valid YAML/), 'the model has no SQL']);
  });

  it('refuses names that cannot be table names', () => {
    expect(parseModelFile('models/Daily-Counts.sql', 'SELECT 1').problems[0]!.message).toMatch(/lowercase/);
  });
});

describe('selectModels', () => {
  it('selects by name, descendants, ancestors and tag, minus exclusions, in run order', async () => {
    const project = await compileProject(fixture('good'), SOURCES);
    expect(selectModels(project, [])).toEqual(['stg_events', 'daily_counts', 'tenant_totals']);
    expect(selectModels(project, ['daily_counts'])).toEqual(['daily_counts']);
    expect(selectModels(project, ['daily_counts+'])).toEqual(['daily_counts', 'tenant_totals']);
    expect(selectModels(project, ['+daily_counts'])).toEqual(['stg_events', 'daily_counts']);
    expect(selectModels(project, ['tag:meters'])).toEqual(['daily_counts', 'tenant_totals']);
    expect(selectModels(project, ['tag:meters'], ['tag:reports'])).toEqual(['daily_counts']);
    expect(selectModels(project, ['+tag:reports'])).toEqual(['stg_events', 'daily_counts', 'tenant_totals']);
    expect(() => selectModels(project, ['nope+'])).toThrow(/names no model/);
  });
});
