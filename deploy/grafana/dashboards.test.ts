import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PlatformMetrics } from '../../platform/metrics/metrics.ts';
import { loadSlos } from '../../packs/slo/openslo.ts';
import { prometheusRules } from '../../packs/slo/prometheus-rules.ts';

interface Dashboard {
  uid: string;
  panels: { title: string; gridPos: { x: number; y: number; w: number; h: number }; targets: { expr: string }[] }[];
}

describe('the Grafana dashboard (deploy/grafana)', () => {
  it('queries only series the platform exports or the SLO rules record, with panels that do not overlap', async () => {
    const dashboard = JSON.parse(await readFile('deploy/grafana/companyos-platform.json', 'utf8')) as Dashboard;
    const exported = new Set((await new PlatformMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const recorded = new Set(
      (parse(prometheusRules(await loadSlos('deploy/slo'))) as { groups: { rules: { record?: string }[] }[] }).groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
    const series = (expr: string) => [...expr.matchAll(/\b(companyos[_:][a-z0-9_:]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''));
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const name of panel.targets.flatMap((t) => series(t.expr))) {
        expect(exported.has(name) || recorded.has(name), `${panel.title}: ${name}`).toBe(true);
      }
    }
    const titles = dashboard.panels.map((p) => p.title).join(' | ');
    for (const topic of ['latency', 'error rate', 'Events ingested', 'consumer lag', 'Policy decisions', 'Receipts appended', 'approvals past their SLA']) expect(titles).toContain(topic);
    const cells = new Set<string>();
    for (const { gridPos: g, title } of dashboard.panels) {
      for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
        expect(cells.has(`${x},${y}`), `${title} overlaps another panel`).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
  });
});
