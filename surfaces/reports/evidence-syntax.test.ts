import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { reportRoutes } from '../http/routes/reports.ts';
import { IngestPipeline } from '../../platform/ingest/index.ts';
import { killAllCliProcesses, runCli } from '../../test/support/cli.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { TenantScope } from '../../platform/tenancy/index.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { parsePage } from './page-file.ts';
import { renderPage } from './render-page.ts';

const UNSUPPORTED = [
  '---', // 1
  'title: Unsupported', // 2
  'queries:', // 3
  '  - costs: costs.sql', // 4
  '---', // 5
  '# Unsupported', // 6
  '', // 7
  '```sql', // 8
  'SELECT 1', // 9
  '```', // 10
  '```costs', // 11
  'SELECT 2', // 12
  '```', // 13
  '<Dropdown name=tenant data={costs} value=tenant/>', // 14
  '{#if costs.length > 0}', // 15
  'Total: {costs[0].total}', // 16
  '{/if}', // 17
  '{#each costs as row}', // 18
  '<DataTable data={costs}>', // 19
  '```python', // 20
  'print(1)', // 21
  '```', // 22
].join('\n');

const context = (warehouse: Warehouse, tenant = 'acme') => ({ scope: new TenantScope(warehouse, tenant), nav: new Map(), href: (s: string) => s, csvHref: (s: string) => s });

describe('Evidence syntax the renderer does not support', () => {
  it('is a problem naming the file, line and construct, for components, inputs, blocks, expressions and query forms', () => {
    const page = parsePage('bad', UNSUPPORTED, 'pages/bad.md');
    expect(page.syntaxProblems.map((p) => p.split(': ').slice(0, 2).join(': '))).toEqual([
      'pages/bad.md:3: front-matter queries:',
      'pages/bad.md:8: ```sql',
      'pages/bad.md:11: ```costs',
      'pages/bad.md:14: <Dropdown>',
      'pages/bad.md:15: {#if}',
      'pages/bad.md:16: {costs[0].total}',
      'pages/bad.md:17: {/if}',
      'pages/bad.md:18: {#each}',
      'pages/bad.md:19: <DataTable>',
      'pages/bad.md:20: ```python',
    ]);
    expect(page.syntaxProblems[2]).toContain('write ```sql costs');
  });

  it('leaves what is supported alone: sql blocks, the six components with Column children, plain code, code spans', () => {
    const page = parsePage('good', [
      '---', 'title: Good', 'description: fine', '---',
      '```sql costs', 'SELECT {{ time_window(\'day\', \'time\') }} AS day FROM events WHERE tenant_id = ${tenant}', '```',
      'The `{#if}` block is only text here, and so is `<Dropdown>`.',
      '```', 'plain {code} <Example/>', '```',
      '<BigValue data={costs} value=day/> <Value data={costs} column=day/>',
      '<LineChart data={costs} x=day y={[day]}/><AreaChart data={costs} x=day y=day/><BarChart data={costs} x=day y=day/>',
      '<DataTable data={costs}>', '  <Column id=day title="Day"/>', '</DataTable>',
    ].join('\n'));
    expect(page.syntaxProblems).toEqual([]);
  });
});

describe.each(TEST_ENGINES)('rendering Evidence pages on %s', (engine) => {
  const db = useWarehouse(engine);

  it('fails a page with unsupported syntax as a whole, listing the problems instead of raw text, and runs no query', async () => {
    const rendered = await renderPage(parsePage('bad', UNSUPPORTED, 'pages/bad.md'), context(db.warehouse));
    expect(rendered.problems).toHaveLength(10);
    expect(rendered.results.size).toBe(0);
    expect(rendered.html).toContain('pages/bad.md:15: {#if}');
    expect(rendered.html).not.toMatch(/<p>\{#if/);
    expect(rendered.html).not.toContain('<h1>');
  });

  it('chains queries: ${other} is the tenant-scoped inner query as a subquery, a table joined to it is scoped too; a comma join, unknown name or cycle is refused', async () => {
    await new IngestPipeline(db.warehouse).ingest(
      [cloudEvent({ id: 'a' }), cloudEvent({ id: 'b' }), cloudEvent({ id: 'c', tenantid: 'globex' })],
      { channel: 'file', submitter: 'acme' },
    );
    const page = parsePage('chained', [
      '```sql mine', 'SELECT id, type FROM events WHERE tenant_id = ${tenant}', '```',
      '```sql counted', 'SELECT count(*) AS n FROM ${mine} m', '```',
      '```sql leaky', 'SELECT count(*) AS n FROM ${mine} m, events', '```',
      '```sql joined', 'SELECT count(*) AS n FROM ${mine} m JOIN events e ON e.id = m.id', '```',
      '```sql nowhere', 'SELECT * FROM ${nope}', '```',
      '```sql loop_a', 'SELECT * FROM ${loop_b}', '```',
      '```sql loop_b', 'SELECT * FROM ${loop_a}', '```',
      '<BigValue data={counted} value=n/>',
    ].join('\n'));
    expect(page.syntaxProblems).toEqual([]);
    const rendered = await renderPage(page, context(db.warehouse));
    expect(rendered.results.get('counted')).toEqual([{ n: 2 }]);
    expect(rendered.results.get('joined')).toEqual([{ n: 2 }]);
    expect(rendered.problems).toEqual([
      'query leaky joins ${mine} with a comma: write JOIN … ON, so that every table it reads is scoped to the tenant',
      'query nowhere reads ${nope}, which is no query of this page',
      'query loop_a chains itself: loop_a → loop_b → loop_a',
      'query loop_b chains itself: loop_b → loop_a → loop_b',
    ]);
  });

  it('shows the problems on the live page', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-pages-'));
    const app = Fastify();
    try {
      await writeFile(join(dir, 'bad.md'), UNSUPPORTED);
      app.decorateRequest('principal', undefined);
      app.addHook('onRequest', async (request) => {
        (request as unknown as { principal: { tenant: string } }).principal = { tenant: 'acme' };
      });
      reportRoutes(app, { scope: (tenant) => new TenantScope(db.warehouse, tenant), pagesDir: dir });
      const live = await app.inject('/reports/bad');
      expect(live.statusCode).toBe(200);
      expect(live.body).toContain('This page has problems');
      expect(live.body).toContain('bad.md:14: &#60;Dropdown&#62;');
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('companyos reports build', () => {
  afterEach(() => killAllCliProcesses());

  it('exits 1 naming the file, line and construct of unsupported syntax', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-pages-'));
    try {
      await mkdir(join(dir, 'pages'));
      await writeFile(join(dir, 'pages', 'bad.md'), UNSUPPORTED);
      const built = await runCli(['reports', 'build', '--pages', join(dir, 'pages'), '--out', join(dir, 'site')], { dataDir: dir, timeoutMs: 60_000 });
      expect(built.code, built.stderr).toBe(1);
      expect(built.stdout).toContain('FAIL bad');
      expect(built.stdout).toMatch(/bad\.md:15: \{#if\}: /);
      expect(built.stdout).toContain('1 with problems');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
