import { describe, expect, it, onTestFinished } from 'vitest';
import { IngestPipeline } from '../../platform/ingest/index.ts';
import { tenantZeroWeek } from '../../packs/metering/index.ts';
import { buildProject } from '../../platform/transforms/index.ts';
import { apiHarness } from '../../test/support/api.ts';
import { AdjustableClock } from '../../platform/workflows/index.ts';
import { seedDemoWorkflows } from '../../packs/high-risk-ops/http/index.ts';
import { seedDemoRevops } from '../../packs/revops/http/index.ts';
import type { Role } from '../../platform/identity/index.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { stateOptionsFor, TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { openStateStore } from '../../kernel/state/index.ts';
import { raw, sql, stateSource, TenantScope, type ScopeSource } from '../../platform/tenancy/index.ts';
import { buildSimulatedFinops, OPERATOR } from '../../test/support/finops.ts';
import { replaceComponents } from './components.ts';
import { formatValue } from './formats.ts';
import { parsePage } from './page-file.ts';
import { renderPage } from './render-page.ts';
import { loadPages, navigation } from './site.ts';
import { MODEL_GENERATORS } from '../../packs/index.ts';
import { platformTables } from '../compose/index.ts';

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
    const context = (tenant: string) => ({ scope: new TenantScope(db.warehouse, tenant), nav: navigation(pages), href: (s: string) => `/${s}`, csvHref: (s: string, q: string) => `/${s}/${q}.csv` });
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

  it('chart the nine costliest tenants by day and the rest as one series, losing no cost on any day', async () => {
    await buildSimulatedFinops(db.warehouse, `${db.harness.dataDir}/target`, 12);
    const pages = await loadPages();
    const scope = new TenantScope(db.warehouse, OPERATOR);
    const costs = await renderPage(pages.get('finops/tenant-costs')!, { scope, nav: navigation(pages), href: (s: string) => `/${s}`, csvHref: (s: string, q: string) => `/${s}/${q}.csv` });
    expect(costs.problems).toEqual([]);
    const daily = costs.results.get('daily') as { day: Date | string; tenant: string; cost: string | number }[];
    const allocated = scope.table('finops_cost_allocation', { where: sql`cost_tenant != ''` });
    const tenants = await scope.query<{ tenant: string; cost: string }>(sql`SELECT cost_tenant AS tenant, sum(effective_cost) AS cost FROM ${allocated} GROUP BY cost_tenant`);
    expect(tenants.length).toBeGreaterThan(10);
    const costliest = tenants.sort((a, b) => Number(b.cost) - Number(a.cost) || a.tenant.localeCompare(b.tenant)).slice(0, 9).map((t) => t.tenant);
    expect(new Set(daily.map((row) => row.tenant))).toEqual(new Set([...costliest, 'other tenants']));
    // Each day's series add up to that day's whole cost, to the cent.
    const day = db.warehouse.engine === 'duckdb' ? raw("date_trunc('day', charge_window)") : raw('toStartOfDay(charge_window)');
    const byDay = await scope.query<{ day: Date | string; cost: string }>(sql`SELECT ${day} AS day, sum(effective_cost) AS cost FROM ${allocated} GROUP BY day`);
    const charted = new Map<string, bigint>();
    for (const row of daily) {
      const day = new Date(row.day).toISOString();
      charted.set(day, (charted.get(day) ?? 0n) + exactDecimal(row.cost));
    }
    expect(charted.size).toBe(byDay.length);
    for (const day of byDay) expect(charted.get(new Date(day.day).toISOString()), String(day.day)).toBe(exactDecimal(day.cost));
  });

  it('are served live behind a session (sign-in, then its cookie) or a bearer token; CSV per query; without either, sent to sign in', async () => {
    await buildSimulatedFinops(db.warehouse, `${db.harness.dataDir}/target`);
    const api = await apiHarness(db.warehouse);
    try {
      const token = await api.principal('analyst', OPERATOR, 'reader');
      const anonymous = await api.app.inject({ url: '/reports/finops/tenant-costs' });
      expect([anonymous.statusCode, anonymous.headers.location]).toEqual([303, '/auth/login?return_to=%2Freports%2Ffinops%2Ftenant-costs']);
      expect((await api.app.inject({ url: '/reports/finops/tenant-costs', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
      const code = await api.app.platform.identity.sessions.localSignIn({ tenant: OPERATOR, roles: ['reader'], subject: 'analyst', env: 'dev', region: 'local' }, '/reports/finops/tenant-costs', 60_000);
      const first = await api.app.inject({ url: `/auth/local?code=${code}` });
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

describe('every page on ClickHouse 18', () => {
  const db = useWarehouse('clickhouse');

  it('runs each page\'s SQL without a problem (chained queries inlined there), with the events of a week', async () => {
    await new IngestPipeline(db.warehouse).ingest(tenantZeroWeek(new Date('2026-11-22T10:00:00Z')), { channel: 'seed', submitter: OPERATOR });
    await buildSimulatedFinops(db.warehouse, `${db.harness.dataDir}/target`);
    const built = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: `${db.harness.dataDir}/target`, tenant: OPERATOR, trigger: 'cli' });
    expect(built.results.filter((r) => r.status !== 'success').map((r) => r.model)).toEqual([]);
    const state = await openStateStore(db.warehouse, { ...stateOptionsFor(db.warehouse), tables: platformTables() });
    try {
      const pages = await loadPages();
      for (const [slug, page] of pages) {
        const rendered = await renderPage(page, {
          scope: new TenantScope(db.warehouse, OPERATOR), stateScope: new TenantScope(stateSource(state), OPERATOR),
          nav: navigation(pages), href: (s) => s, csvHref: (s) => s,
        });
        expect(rendered.problems, slug).toEqual([]);
      }
    } finally {
      await state.close();
    }
  });
});

describe('every page on the seeded demo data', () => {
  const db = useWarehouse('duckdb');

  it('renders with numbers, charts with data points, and no problems for summit-internal', async () => {
    const events = tenantZeroWeek(new Date('2026-11-22T10:00:00Z'));
    await new IngestPipeline(db.warehouse).ingest(events, { channel: 'seed', submitter: OPERATOR });
    await buildSimulatedFinops(db.warehouse, `${db.harness.dataDir}/target`);
    // The demo's governed runs, through the API on a clock set back over the week (as `npm start` seeds them).
    const clock = new AdjustableClock();
    const server = await apiHarness(db.warehouse, { clock });
    try {
      const { workflows, policies } = server.app.platform;
      const mint = (subject: string, roles: Role[]) => server.tokens.mint({ tenant: OPERATOR, roles, subject });
      await seedDemoWorkflows(server.app, { clock, workflows, policies, mint });
      await seedDemoRevops(server.app, { clock, mint });
    } finally {
      await server.app.close();
    }
    const built = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: `${db.harness.dataDir}/target`, tenant: OPERATOR, trigger: 'cli' });
    expect(built.results.filter((r) => r.status !== 'success').map((r) => r.model)).toEqual([]);
    const pages = await loadPages();
    expect([...pages.keys()]).toEqual(['finops/tenant-costs', 'finops/unit-economics', 'lineage', 'revops', 'summit-as-a-customer', 'usage']);
    const nav = navigation(pages);
    const state = await openStateStore(db.warehouse, { ...stateOptionsFor(db.warehouse), tables: platformTables() });
    onTestFinished(() => state.close());
    const scopes = { scope: new TenantScope(db.warehouse, OPERATOR), stateScope: new TenantScope(stateSource(state), OPERATOR) };
    for (const [slug, page] of pages) {
      const rendered = await renderPage(page, { ...scopes, nav, href: (s) => s, csvHref: (s) => s });
      expect(rendered.problems, slug).toEqual([]);
      const points = [...rendered.html.matchAll(/data-points="(\d+)"/g)].map((m) => Number(m[1]));
      expect(points.filter((n) => n === 0), `${slug}: a chart without data`).toEqual([]);
    }
    const leadership = await renderPage(pages.get('summit-as-a-customer')!, { ...scopes, nav, href: (s) => s, csvHref: (s) => s });
    // Engine-made numbers: 31 runs requested, the two newest still waiting, one policy change denied, one DR drill run.
    expect(/data-column="high_risk_ops" data-value="(\d+)"/.exec(leadership.html)?.[1]).toBe('31');
    expect(byOperationOf(leadership).get('dr-drill')).toMatchObject({ approved: 1, denied: 0 });
    // The drill really ran: its age (about a day: the demo's clock put it there), its RTO and RPO measured.
    const [drills] = leadership.results.get('drills')!;
    expect(Number(drills!.drills)).toBe(1);
    expect(Number(drills!.last_drill_age_days)).toBeGreaterThan(1);
    expect(Number(drills!.last_drill_age_days)).toBeLessThan(1.2);
    expect(Number(drills!.last_rto_s)).toBeGreaterThan(0);
    expect(Number(drills!.last_rto_s)).toBeLessThan(300);
    expect(Number(drills!.last_rpo_s)).toBeGreaterThanOrEqual(0);
    expect(drills!.claim).toBe('current: proven by a drill in the last 90 days');
    expect(leadership.html).toContain('current: proven by a drill in the last 90 days');
    // The same page once the drill is 91 days old, and once there is none: the GA claim is marked stale.
    await db.warehouse.execute("UPDATE events SET time = time - INTERVAL 90 DAY WHERE type = 'dr.drill_completed'");
    const aged = await renderPage(pages.get('summit-as-a-customer')!, { ...scopes, nav, href: (s) => s, csvHref: (s) => s });
    expect(aged.html).toContain('STALE: the last successful DR drill is over 90 days old');
    await db.warehouse.execute("DELETE FROM events WHERE type = 'dr.drill_completed'");
    const none = await renderPage(pages.get('summit-as-a-customer')!, { ...scopes, nav, href: (s) => s, csvHref: (s) => s });
    expect(none.html).toContain('STALE: no DR drill has succeeded');
    const byOperation = byOperationOf(leadership);
    expect(byOperation.get('policy-change')).toMatchObject({ approved: 0, denied: 1, pending: 0 });
    expect(byOperation.get('ledger-key-rotation')).toMatchObject({ pending: 1 });
    const access = byOperation.get('temporary-access')!;
    expect(Number(access.approved) + Number(access.denied) + Number(access.pending)).toBe(28);
    expect(access.pending).toBe(2);
    expect(leadership.results.get('executions')!.map((r) => r.status)).toEqual(['succeeded']);
    const flows = leadership.results.get('flows')!.map((r) => r.flow);
    expect(flows).toEqual(['approval', 'create-entity', 'event-ingest', 'grant-entitlement', 'policy-simulate', 'provenance-fetch']);
    // The page reads several numbers in one pass over the events; each is what a query of its own counts.
    const one = async (select: string, where: string) =>
      Object.values((await db.warehouse.query(`SELECT ${select} AS v FROM events WHERE tenant_id = '${OPERATOR}' AND ${where}`))[0]!)[0];
    const decided = "type = 'high_risk_ops.requests_total' AND json_extract_string(data, '$.status') IN ('approved', 'denied')";
    const [posture] = leadership.results.get('posture')!;
    expect(Number(posture!.side_door_attempts)).toBe(Number(await one('count(*)', "type = 'companyos.policy.violation'")));
    expect(Number(posture!.approval_sla_breaches)).toBe(Number(await one('count(*)', "type = 'high_risk_ops.approval_sla_breached'")));
    expect(posture!.approval_p95_s).toBe(await one("quantile_cont(CAST(json_extract_string(data, '$.approval_latency_ms') AS DOUBLE) / 1000, 0.95)", decided));
    expect(posture!.approval_p50_s).toBe(await one("quantile_cont(CAST(json_extract_string(data, '$.approval_latency_ms') AS DOUBLE) / 1000, 0.5)", decided));
    expect(Number(await one('count(*)', decided))).toBeGreaterThan(0);
    expect(posture!.receipts_complete).toBe(
      await one("count(CASE WHEN json_extract_string(data, '$.receipt_complete') = 'true' THEN 1 END) / count(*)", "type = 'high_risk_ops.requests_total'"),
    );
    const [revops] = leadership.results.get('revops_summary')!;
    const leads = "type = 'revops.leads_ingested_total'";
    expect(Number(revops!.leads_in)).toBe(Number(await one('count(*)', leads)));
    expect(Number(revops!.leads_parked)).toBe(Number(await one('count(*)', `${leads} AND json_extract_string(data, '$.status') = 'parked'`)));
    expect(Number(revops!.leads_duplicate)).toBe(Number(await one('count(*)', `${leads} AND json_extract_string(data, '$.status') = 'duplicate'`)));
    expect(Number(revops!.sla_breaches)).toBe(Number(await one('count(*)', "type = 'revops.lead.sla_breached'")));
    expect(Number(revops!.quotes_lost)).toBe(Number(await one('count(*)', "type = 'revops.quote.lost'")));
    const touched = "type = 'revops.lead.touched' AND CAST(json_extract_string(data, '$.sla_minutes') AS DOUBLE) > 0";
    expect(Number(revops!.touched_with_sla)).toBeGreaterThan(0);
    expect(Number(revops!.touched_with_sla)).toBe(Number(await one('count(*)', touched)));
    expect(revops!.touch_p95_minutes).toBe(await one("quantile_cont(CAST(json_extract_string(data, '$.minutes_to_touch') AS DOUBLE), 0.95)", touched));
    expect(Number(revops!.touched_within_sla)).toBe(Number(await one('count(*)', `${touched} AND CAST(json_extract_string(data, '$.kept_sla') AS DOUBLE) = 1`)));
    expect(Number(revops!.discount_requests)).toBe(Number(await one('count(*)', "type = 'revops.quote.revised' AND json_extract_string(data, '$.band') != 'automatic'")));
    expect(Number(revops!.quotes_won)).toBe(Number(await one('count(*)', "type = 'revops.quote.won'")));
    const engines = new Map(leadership.results.get('engines')!.map((r) => [r.interaction, r]));
    expect([...engines.keys()]).toEqual(['policy decision', 'workflow execution']);
    expect(Number(engines.get('policy decision')!.events)).toBe(Number(await one('count(*)', "type = 'policy.decisions_total'")));
    expect(engines.get('workflow execution')!.p95_ms).toBe(
      await one("quantile_cont(coalesce(CAST(json_extract_string(data, '$.duration_ms') AS DOUBLE), 0), 0.95)", "type = 'workflow.executions_total'"),
    );
  });
});

describe.each(TEST_ENGINES)('the RevOps page on %s', (engine) => {
  const db = useWarehouse(engine);

  it('converts each lead once, however many quotes it has or wins, and counts routing SLAs per lead (one JOIN a query: ClickHouse 18 takes no more)', async () => {
    const event = (id: string, type: string, subject: string, data: object, tenantid = 'acme') =>
      cloudEvent({ id, type, subject, data, tenantid, source: '/companyos/revops' });
    await new IngestPipeline(db.warehouse).ingest([
      event('lead-1', 'revops.leads_ingested_total', 'lead-1', { lead_source: 'web_form', status: 'new' }),
      event('lead-2', 'revops.leads_ingested_total', 'lead-2', { lead_source: 'web_form', status: 'new' }),
      event('lead-3', 'revops.leads_ingested_total', 'lead-3', { lead_source: 'partner_referral', status: 'new' }),
      // Two quotes for lead 1 (each with a first revision, one revised again), both won; one for lead 3, open.
      event('q-1:1', 'revops.quote.revised', 'q-1', { lead_id: 'lead-1', revision: 1, band: 'automatic' }),
      event('q-1:2', 'revops.quote.revised', 'q-1', { lead_id: 'lead-1', revision: 2, band: 'automatic' }),
      event('q-2:1', 'revops.quote.revised', 'q-2', { lead_id: 'lead-1', revision: 1, band: 'automatic' }),
      event('q-3:1', 'revops.quote.revised', 'q-3', { lead_id: 'lead-3', revision: 1, band: 'automatic' }),
      event('q-1:won', 'revops.quote.won', 'q-1', { lead_id: 'lead-1' }),
      event('q-2:won', 'revops.quote.won', 'q-2', { lead_id: 'lead-1' }),
      // Routed with a due time: lead 1 touched in time, lead 2 breached; lead 3 routed without one.
      event('lead-1:routed', 'revops.lead.routed', 'lead-1', { segment: 'smb', due_at: '2026-11-20T13:00:00Z' }),
      event('lead-2:routed', 'revops.lead.routed', 'lead-2', { segment: 'smb', due_at: '2026-11-20T13:00:00Z' }),
      event('lead-3:routed', 'revops.lead.routed', 'lead-3', { segment: 'enterprise', due_at: '' }),
      event('lead-1:touched', 'revops.lead.touched', 'lead-1', { kept_sla: 1, sla_minutes: 60 }),
      event('lead-2:sla_breached', 'revops.lead.sla_breached', 'lead-2', {}),
      // Another tenant's quote and win for a lead of the same id.
      event('g-1:1', 'revops.quote.revised', 'g-1', { lead_id: 'lead-2', revision: 1, band: 'automatic' }, 'globex'),
      event('g-1:won', 'revops.quote.won', 'g-1', { lead_id: 'lead-2' }, 'globex'),
    ], { channel: 'seed', submitter: OPERATOR });
    await buildProject(db.warehouse, { generators: [], modelsDir: 'models', targetDir: `${db.harness.dataDir}/target`, tenant: OPERATOR, trigger: 'cli', select: ['stg_events'] });
    const pages = await loadPages();
    const page = await renderPage(pages.get('revops')!, { scope: new TenantScope(db.warehouse, 'acme'), nav: navigation(pages), href: (s) => s, csvHref: (s) => s });
    expect(page.problems).toEqual([]);
    expect(page.results.get('conversion')!.map((r) => ({ source: r.source, leads: Number(r.leads), quoted: Number(r.quoted), won: Number(r.won) }))).toEqual([
      { source: 'partner_referral', leads: 1, quoted: 1, won: 0 },
      { source: 'web_form', leads: 2, quoted: 1, won: 1 },
    ]);
    expect(page.results.get('sla_by_segment')!.map((r) => [r.segment, r.routed, r.within_sla, r.touched_late, r.breaches].map(String))).toEqual([
      ['smb', '2', '1', '0', '1'],
    ]);
  });
});

function byOperationOf(page: Awaited<ReturnType<typeof renderPage>>) {
  return new Map(page.results.get('high_risk')!.map((r) => [r.operation, r]));
}

describe('page queries, scoped by construction', () => {
  const db = useWarehouse('duckdb');
  const render = (markdown: string, tenant = 'acme', extra: Partial<Parameters<typeof renderPage>[1]> = {}) =>
    renderPage(parsePage('page', markdown), { scope: new TenantScope(db.warehouse, tenant), nav: new Map(), href: (s) => s, csvHref: (s) => s, ...extra });
  const seed = async () => {
    const events = [1, 2, 3, 4, 5].map((i) => cloudEvent({ id: `e-${i}`, tenantid: i <= 2 ? 'acme' : 'globex' }));
    await new IngestPipeline(db.warehouse).ingest(events, { channel: 'seed', submitter: OPERATOR });
  };

  it('reads only the viewer\'s rows of every table a query names, with no ${tenant} in it, through aliases, joins and chained queries', async () => {
    await seed();
    const page = await render([
      '```sql everyone\nSELECT count(*) AS n FROM events\n```',
      '```sql joined\nSELECT count(*) AS n FROM events e JOIN events AS f ON e.id = f.id WHERE e.type <> \'\'\n```',
      '```sql chained\nSELECT sum(n) AS n FROM ${everyone}\n```',
      '```sql nested\nSELECT count(*) AS n FROM (SELECT id FROM events WHERE tenant_id = ${tenant}) mine\n```',
      '<BigValue data={everyone} value=n />',
    ].join('\n'));
    expect(page.problems).toEqual([]);
    for (const query of ['everyone', 'joined', 'chained', 'nested']) expect([query, Number(page.results.get(query)![0]!.n)]).toEqual([query, 2]);
    expect(Number((await render('```sql everyone\nSELECT count(*) AS n FROM events\n```', 'globex')).results.get('everyone')![0]!.n)).toBe(3);
  });

  it('runs a query other queries read once a render, keeps its rows for them, and gives only what the page shows as results', async () => {
    await seed();
    const markdown = [
      '```sql mine\nSELECT id, type FROM events\n```',
      '```sql counted\nSELECT count(*) AS n FROM ${mine}\n```',
      '```sql typed\nSELECT type, count(*) AS n FROM ${mine} m GROUP BY type\n```',
      '<BigValue data={counted} value=n />',
      '<DataTable data={typed} />',
    ].join('\n');
    const page = parsePage('page', markdown);
    // The engine's statements, as the warehouse is asked them.
    const statements: string[] = [];
    const spied = (session: boolean): ScopeSource => ({
      dialect: db.warehouse.dialect,
      hasRelation: (name) => db.warehouse.hasRelation(name),
      query: (text, params) => (statements.push(text), db.warehouse.query(text, params)),
      readSession: session
        ? (work) => db.warehouse.readSession!((reads) => work({
          query: (text, params) => (statements.push(text), reads.query(text, params)),
          keep: (text, params) => (statements.push(text), reads.keep(text, params)),
        }))
        : undefined,
    });
    const renderAs = (tenant: string, session: boolean) => renderPage(page, { scope: new TenantScope(spied(session), tenant), nav: new Map(), href: (s) => s, csvHref: (s) => s });
    const counts = (rendered: Awaited<ReturnType<typeof renderPage>>) => ({
      problems: rendered.problems,
      results: [...rendered.results.keys()],
      counted: Number(rendered.results.get('counted')![0]!.n),
      typed: rendered.results.get('typed')!.map((r) => Number(r.n)),
    });
    const eventReads = () => statements.filter((text) => /FROM events WHERE tenant_id/.test(text)).length;
    // Two tenants at once: each render keeps its own tenant's rows.
    const [acme, globex] = await Promise.all([renderAs('acme', true), renderAs('globex', true)]);
    expect([counts(acme), counts(globex)]).toEqual([
      { problems: [], results: ['counted', 'typed'], counted: 2, typed: [2] },
      { problems: [], results: ['counted', 'typed'], counted: 3, typed: [3] },
    ]);
    expect(eventReads()).toBe(2);
    // Where the engine keeps no rows, each query reads the events itself: the same results.
    statements.length = 0;
    expect(counts(await renderAs('acme', false))).toEqual(counts(acme));
    expect(eventReads()).toBe(2);
    // A query both read by others and shown is a result too, however the component names it.
    const shown = await renderPage(parsePage('page', `${markdown}\n<DataTable data = "mine" />`),
      { scope: new TenantScope(db.warehouse, 'acme'), nav: new Map(), href: (s) => s, csvHref: (s) => s });
    expect([shown.problems, shown.results.get('mine')!.length]).toEqual([[], 2]);
  });

  it('refuses a comma join (its second table would go unscoped), a query mixing operational state with warehouse tables, and two JOINs in one SELECT', async () => {
    const page = await render([
      '```sql comma\nSELECT count(*) AS n FROM events a, events_quarantine b\n```',
      '```sql mixed\nSELECT (SELECT count(*) FROM ledger_entries) AS receipts, (SELECT count(*) FROM events) AS events\n```',
      '```sql two_joins\nSELECT count(*) AS n FROM events a JOIN events b ON b.id = a.id LEFT JOIN events c ON c.id = a.id\n```',
      '```sql nested_joins\nSELECT count(*) AS n FROM events a LEFT JOIN (SELECT b.id FROM events b JOIN events c ON c.id = b.id) d ON d.id = a.id\n' +
        'UNION ALL SELECT count(*) AS n FROM events a JOIN events b ON b.id = a.id\n```',
      '```sql chained_joins\nSELECT count(*) AS n FROM ${one_join} x JOIN events b ON b.id = x.id JOIN events c ON c.id = x.id\n```',
      '```sql one_join\nSELECT a.id FROM events a JOIN events b ON b.id = a.id\n```',
      '<DataTable data={one_join} />',
    ].join('\n'));
    expect(page.problems).toEqual([
      'query comma joins events with a comma: write JOIN … ON, so that every table it reads is scoped to the tenant',
      'query mixed reads operational state (ledger_entries) and warehouse tables (events) together; split it into one query for each',
      'query two_joins has two JOINs in one SELECT, which ClickHouse 18 does not run; join one subquery that groups the other rows per key',
      'query chained_joins has two JOINs in one SELECT, which ClickHouse 18 does not run; join one subquery that groups the other rows per key',
    ]);
    expect(page.results.has('one_join')).toBe(true);
    expect(page.results.has('nested_joins')).toBe(true);
  });

  it('runs a query on operational tables in the state store, scoped the same way', async () => {
    const state = await openStateStore(db.warehouse, { ...stateOptionsFor(db.warehouse), tables: platformTables() });
    try {
      const request = (tenant: string, id: string) => ({ tenant_id: tenant, request_id: id, entity_id: 'e', action: 'delete', requested_by: 'ana', requested_at: new Date(), decision_id: 'd' });
      await state.transaction((tx) => tx.insert('approval_requests', [request('acme', 'r-1'), request('globex', 'r-2'), request('globex', 'r-3')]));
      const markdown = '```sql asked\nSELECT count(*) AS n FROM approval_requests\n```';
      const page = await render(markdown, 'acme', { stateScope: new TenantScope(stateSource(state), 'acme') });
      expect([page.problems, Number(page.results.get('asked')![0]!.n)]).toEqual([[], 1]);
      expect((await render(markdown)).problems).toEqual(['query asked reads operational state, which this rendering has no access to']);
      // Two JOINs in one SELECT are the warehouse's limit (ClickHouse 18), not the state store's.
      const joined = await render(
        '```sql joined\nSELECT count(*) AS n FROM approval_requests a JOIN approval_requests b ON b.request_id = a.request_id JOIN approval_requests c ON c.request_id = a.request_id\n```',
        'acme', { stateScope: new TenantScope(stateSource(state), 'acme') },
      );
      expect([joined.problems, Number(joined.results.get('joined')![0]!.n)]).toEqual([[], 1]);
    } finally {
      await state.close();
    }
  });
});

/** A decimal text (or an integer) as an exact integer count of 10⁻¹⁰. */
function exactDecimal(value: string | number): bigint {
  const [whole, fraction = ''] = String(value).split('.');
  const negative = whole!.startsWith('-');
  const units = BigInt(whole!.replace('-', '') + fraction.padEnd(10, '0').slice(0, 10));
  return negative ? -units : units;
}
