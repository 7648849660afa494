import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../platform/ingest/index.ts';
import { tenantZeroWeek } from '../../packs/metering/index.ts';
import { buildProject } from '../../platform/transforms/index.ts';
import { apiHarness } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { buildSimulatedFinops, OPERATOR } from '../../test/support/finops.ts';
import { replaceComponents } from './components.ts';
import { formatValue } from './formats.ts';
import { parsePage } from './page-file.ts';
import { renderPage } from './render-page.ts';
import { loadPages, navigation } from './site.ts';
import { MODEL_GENERATORS } from '../../packs/index.ts';

describe('report pages in Evidence syntax', () => {
  it('reads named SQL blocks, front matter and component tags as Evidence writes them', async () => {
    const page = parsePage('x', '---\ntitle: Costs\n---\n# Heading\n\n```sql costs\nSELECT 1 AS a;\n```\n\n<BarChart data={costs} x=a y={[b, c]} title="By a" type=grouped />\n\n<DataTable data={costs}>\n  <Column id=a fmt=usd title="A"/>\n</DataTable>\n');
    expect(page.title).toBe('Costs');
    expect([...page.queries]).toEqual([['costs', 'SELECT 1 AS a']]);
    const seen: unknown[] = [];
    await replaceComponents(page.body, async (tag) => (seen.push(tag), ''));
    expect(seen).toEqual([
      { name: 'BarChart', props: { data: 'costs', x: 'a', y: '[b, c]', title: 'By a', type: 'grouped' }, columns: [] },
      { name: 'DataTable', props: { data: 'costs' }, columns: [{ id: 'a', fmt: 'usd', title: 'A' }] },
    ]);
  });

  it('formats money from decimal strings exactly, and percentages and numbers', () => {
    expect(formatValue('1234567.125', 'usd')).toBe('$1,234,567.13');
    expect(formatValue('0.004', 'usd')).toBe('$0.00');
    expect(formatValue('-12.5', 'usd')).toBe('-$12.50');
    expect(formatValue('9007199254740993.99', 'usd')).toBe('$9,007,199,254,740,993.99');
    expect(formatValue(0.9161, 'pct')).toBe('91.6%');
    expect(formatValue(1234.5, 'num')).toBe('1,234.5');
    expect(formatValue(new Date('2026-11-01T00:00:00Z'), undefined)).toBe('2026-11-01');
  });
});

describe.each(TEST_ENGINES)('the FinOps report pages on %s', (engine) => {
  const db = useWarehouse(engine);

  it('render from the warehouse with numbers that match it, charts with data, CSV, and only the viewer\'s tenant', async () => {
    await buildSimulatedFinops(db.warehouse, `${db.harness.dataDir}/target`);
    const pages = await loadPages();
    const context = (tenant: string) => ({ warehouse: db.warehouse, tenant, nav: navigation(pages), href: (s: string) => `/${s}`, csvHref: (s: string, q: string) => `/${s}/${q}.csv` });
    for (const slug of ['finops/tenant-costs', 'finops/unit-economics']) {
      const rendered = await renderPage(pages.get(slug)!, context(OPERATOR));
      expect(rendered.problems, slug).toEqual([]);
      const points = [...rendered.html.matchAll(/data-points="(\d+)"/g)].map((m) => Number(m[1]));
      expect(points.length, slug).toBeGreaterThan(0);
      expect(points.every((n) => n > 0), slug).toBe(true);
      expect(rendered.html).toContain('<svg');
    }

    const costs = await renderPage(pages.get('finops/tenant-costs')!, context(OPERATOR));
    const [books] = await db.warehouse.query<{ total: string }>('SELECT sum(effective_total) AS total FROM finops_reconciliation WHERE tenant_id = ?', [OPERATOR]);
    expect(/data-column="billed_effective" data-value="([^"]+)"/.exec(costs.html)?.[1]).toBe(books!.total);
    expect(costs.html).toContain(formatValue(books!.total, 'usd'));
    expect(costs.results.get('by_pack')!.length).toBeGreaterThan(0);

    // Another tenant sees its own books: none of the operator's.
    const other = await renderPage(pages.get('finops/tenant-costs')!, context('acme'));
    expect(other.problems).toEqual([]);
    expect(other.results.get('by_pack')).toEqual([]);
    expect(other.html).not.toContain(formatValue(books!.total, 'usd'));
  });

  it('are served live behind auth: ?token= once (a redirect leaves the cookie), then the cookie; CSV per query; 401 without a token', async () => {
    await buildSimulatedFinops(db.warehouse, `${db.harness.dataDir}/target`);
    const api = await apiHarness(db.warehouse);
    try {
      const token = await api.principal('analyst', OPERATOR, 'reader');
      expect((await api.app.inject({ url: '/reports/finops/tenant-costs' })).statusCode).toBe(401);
      const first = await api.app.inject({ url: `/reports/finops/tenant-costs?token=${token}` });
      expect([first.statusCode, first.headers.location]).toEqual([303, '/reports/finops/tenant-costs']);
      const cookie = String(first.headers['set-cookie']).split(';')[0]!;
      const page = await api.app.inject({ url: '/reports/finops/tenant-costs', headers: { cookie } });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      const csv = await api.app.inject({ url: '/reports/finops/tenant-costs/by_pack.csv', headers: { cookie } });
      expect(csv.statusCode).toBe(200);
      expect(csv.body.split(/\r?\n/)[0]).toBe('tenant,pack_name,cost');
      expect((await api.app.inject({ url: '/reports/no-such-page', headers: { cookie } })).statusCode).toBe(404);
    } finally {
      await api.app.close();
    }
  });
});

describe('every page on the seeded demo data', () => {
  const db = useWarehouse('duckdb');

  it('renders with numbers, charts with data points, and no problems for summit-internal', async () => {
    const events = tenantZeroWeek(new Date('2026-11-22T10:00:00Z'));
    await new IngestPipeline(db.warehouse).ingest(events, { channel: 'seed', submitter: OPERATOR });
    await buildSimulatedFinops(db.warehouse, `${db.harness.dataDir}/target`);
    const built = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: `${db.harness.dataDir}/target`, tenant: OPERATOR, trigger: 'cli' });
    expect(built.results.filter((r) => r.status !== 'success').map((r) => r.model)).toEqual([]);
    const pages = await loadPages();
    expect([...pages.keys()]).toEqual(['finops/tenant-costs', 'finops/unit-economics', 'lineage', 'summit-as-a-customer', 'usage']);
    const nav = navigation(pages);
    for (const [slug, page] of pages) {
      const rendered = await renderPage(page, { warehouse: db.warehouse, tenant: OPERATOR, nav, href: (s) => s, csvHref: (s) => s });
      expect(rendered.problems, slug).toEqual([]);
      const points = [...rendered.html.matchAll(/data-points="(\d+)"/g)].map((m) => Number(m[1]));
      expect(points.filter((n) => n === 0), `${slug}: a chart without data`).toEqual([]);
    }
    const leadership = await renderPage(pages.get('summit-as-a-customer')!, { warehouse: db.warehouse, tenant: OPERATOR, nav, href: (s) => s, csvHref: (s) => s });
    const highRisk = events.filter((e) => e.type === 'high_risk_ops.requests_total').length;
    expect(/data-column="high_risk_ops" data-value="(\d+)"/.exec(leadership.html)?.[1]).toBe(String(highRisk));
    const flows = leadership.results.get('flows')!.map((r) => r.flow);
    expect(flows).toEqual(['approval', 'create-entity', 'event-ingest', 'grant-entitlement', 'policy-simulate', 'provenance-fetch']);
  });
});

describe('a page that is not scoped to a tenant', () => {
  const db = useWarehouse('duckdb');
  it('is refused, with the query named', async () => {
    const page = parsePage('leak', '```sql everyone\nSELECT count(*) AS n FROM events\n```\n<BigValue data={everyone} value=n />\n');
    const rendered = await renderPage(page, { warehouse: db.warehouse, tenant: 'acme', nav: new Map(), href: (s) => s, csvHref: (s) => s });
    expect(rendered.problems).toEqual(['query everyone is not scoped to a tenant: it must use ${tenant}', '<BigValue>: there is no result for query everyone']);
  });
});
