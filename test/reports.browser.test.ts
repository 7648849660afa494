import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, ensureChromium } from '../dev/chromium.ts';
import { killAllCliProcesses, REPO_ROOT, startPlatform } from './support/cli.ts';
import { engineHarness } from './support/engines.ts';

/**
 * Every report page in headless Chromium (Debian's, driven by playwright-core),
 * against the real platform as `npm start` leaves it (seeded demo data, a simulated
 * bill built): no console errors, every chart drew its data points, key numbers
 * match the warehouse.
 * Screenshots go to surfaces/reports/screenshots/ for the README.
 */

const ALL_PAGES = ['summit-as-a-customer', 'revops', 'finops/tenant-costs', 'finops/unit-economics', 'usage', 'lineage'];
const SCREENSHOTS = join(REPO_ROOT, 'reports', 'screenshots');

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
}, 300_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await killAllCliProcesses();
});

describe.each([
  ['duckdb', ALL_PAGES],
  ['clickhouse', ['finops/tenant-costs']],
] as const)('report pages in Chromium on %s', (engine, pages) => {
  it('open without console errors, with drawn charts and the warehouse\'s numbers', { timeout: 300_000 }, async () => {
    const harness = await engineHarness(engine);
    try {
      // What `npm start` does on a fresh data dir: the Tenant Zero seed, a simulated bill imported, every model built.
      const platform = await startPlatform(harness.dataDir, [], { env: harness.env, timeoutMs: 180_000 });
      expect(platform.stdout()).toMatch(/demo FinOps data: a simulated bill of [\d,]+ rows for 8 tenants, imported and built \(31 models\)/);
      const shown = new Map<string, string>();
      const tab = await browser.newPage({ viewport: { width: 1180, height: 900 } });
      const errors: string[] = [];
      tab.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      tab.on('pageerror', (error) => errors.push(error.message));
      // The banner's local development sign-in: one use, then a session cookie; no token in any URL.
      expect(platform.signInLink).toBeDefined();
      await tab.goto(platform.signInLink!);
      expect(tab.url()).toBe(`${platform.url}/reports/summit-as-a-customer`);
      expect((await fetch(platform.signInLink!, { redirect: 'manual' })).status).toBe(400);
      for (const slug of pages) {
        const response = await tab.goto(`${platform.url}/reports/${slug}`);
        expect(response?.status(), slug).toBe(200);
        expect(await tab.locator('.error').count(), `${slug}: ${await tab.locator('.error').allInnerTexts()}`).toBe(0);
        const charts = tab.locator('figure.chart');
        expect(await charts.count(), slug).toBeGreaterThan(0);
        for (const chart of await charts.all()) {
          expect(Number(await chart.getAttribute('data-points')), `${slug}: ${await chart.getAttribute('data-query')}`).toBeGreaterThan(0);
          // Drawn: the SVG has marks (bars, lines, areas), not only axes.
          expect(await chart.locator('svg path').count(), slug).toBeGreaterThan(4);
        }
        for (const value of await tab.locator('.big-value').all()) {
          shown.set(`${slug}/${await value.getAttribute('data-column')}`, (await value.getAttribute('data-value')) ?? '');
        }
        if (engine === 'duckdb') {
          await mkdir(join(SCREENSHOTS, slug.split('/').slice(0, -1).join('/')), { recursive: true });
          await tab.screenshot({ path: join(SCREENSHOTS, `${slug}.png`), fullPage: true });
        }
      }
      expect(errors).toEqual([]);
      await tab.close();
      await platform.stop();

      // Key numbers against the warehouse itself (the platform is stopped: DuckDB has one writer).
      const warehouse = await harness.open();
      try {
        const [books] = await warehouse.query<{ total: string }>("SELECT sum(effective_total) AS total FROM finops_reconciliation WHERE tenant_id = 'summit-internal'");
        expect(shown.get('finops/tenant-costs/billed_effective')).toBe(books!.total);
        if (pages.includes('summit-as-a-customer' as never)) {
          // The runs the demo drove through the workflow engine, as it metered their requests.
          const [ops] = await warehouse.query<{ n: number }>(
            "SELECT count(*) AS n FROM events WHERE tenant_id = 'summit-internal' AND type = 'companyos.workflow.transition' AND data LIKE '%\"pack\":\"high-risk-ops\"%' AND data LIKE '%\"status\":\"requested\"%'",
          );
          expect(Number(ops!.n)).toBeGreaterThan(0);
          expect(shown.get('summit-as-a-customer/high_risk_ops')).toBe(String(ops!.n));
          expect(shown.get('summit-as-a-customer/policy_coverage')).toBe('1');
          // RevOps numbers against the pack's own tables (a DuckDB warehouse holds the operational state too).
          const count = async (sql: string) => String((await warehouse.query<{ n: number }>(`${sql} AND tenant_id = 'summit-internal'`))[0]!.n);
          expect(shown.get('summit-as-a-customer/leads_in')).toBe(await count('SELECT count(*) AS n FROM revops_leads WHERE true'));
          expect(shown.get('summit-as-a-customer/discount_requests')).toBe(await count("SELECT count(*) AS n FROM revops_quotes WHERE band <> 'automatic'"));
          expect(shown.get('summit-as-a-customer/quotes_won')).toBe(await count("SELECT count(*) AS n FROM revops_quote_outcomes WHERE outcome = 'won'"));
          expect(shown.get('revops/quote_approvals')).toBe(await count('SELECT count(*) AS n FROM revops_quote_approvals WHERE true'));
          expect(shown.get('revops/leads_routed')).toBe(await count('SELECT count(*) AS n FROM revops_routings WHERE assignee IS NOT NULL'));
          const [sla] = await warehouse.query<{ kept: number; n: number }>(
            "SELECT sum(CASE WHEN t.touched_at <= r.due_at THEN 1 ELSE 0 END) AS kept, count(*) AS n FROM revops_lead_touches t JOIN revops_routings r ON r.tenant_id = t.tenant_id AND r.lead_id = t.lead_id WHERE r.due_at IS NOT NULL AND t.tenant_id = 'summit-internal'",
          );
          expect(Number(sla!.n)).toBeGreaterThan(0);
          expect(Number(shown.get('summit-as-a-customer/sla_compliance'))).toBeCloseTo(Number(sla!.kept) / Number(sla!.n), 12);
        }
      } finally {
        await warehouse.close();
      }
    } finally {
      await harness.cleanup();
    }
  });
});
