import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { buildServer } from '../../surfaces/http/index.ts';
import { TokenAuthority } from '../../platform/identity/index.ts';
import { flowRoutes } from '../../platform/metrics/flows.ts';
import { findPromtool } from '../../dev/promtool.ts';
import { DuckDBWarehouse } from '../../kernel/warehouse/index.ts';
import { loadSlos, parseSlo, SloError } from './openslo.ts';
import { prometheusRules } from './prometheus-rules.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';
import { compileProject, RAW_SOURCES } from '../../platform/transforms/index.ts';
import { sloPack } from './pack.ts';

const FLOWS = ['approval', 'create-entity', 'event-ingest', 'grant-entitlement', 'policy-simulate', 'provenance-fetch'];

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string; labels: Record<string, string> }[] }[];
}

describe('the platform SLOs (deploy/slo)', () => {
  it('declares one OpenSLO v1 SLO per flow, each over routes the API really serves', async () => {
    const slos = await loadSlos('deploy/slo');
    expect(slos.map((s) => s.flow)).toEqual(FLOWS);
    expect(slos.every((s) => s.target === 0.995 && s.latencyMsAtMost === 1500 && s.windowDays === 28)).toBe(true);

    const warehouse = await DuckDBWarehouse.open(':memory:');
    await migratePlatform(warehouse);
    const app = await buildServer({ warehouse, tokens: new TokenAuthority('x'.repeat(32)), logLevel: 'silent' });
    try {
      await app.ready();
      const served = new Set(app.routeInventory.map((r) => `${r.method} ${r.url}`));
      for (const flow of FLOWS) {
        expect(flowRoutes(flow).length, flow).toBeGreaterThan(0);
        for (const { method, route } of flowRoutes(flow)) expect(served, `${flow}: ${method} ${route}`).toContain(`${method} ${route}`);
      }
    } finally {
      await app.close();
      await warehouse.close();
    }
  });

  it('is compiled again when an OpenSLO file its slo.yaml points at changes outside the models folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'slo-project-'));
    try {
      await mkdir(join(root, 'models'));
      await mkdir(join(root, 'openslo'));
      await writeFile(join(root, 'models', 'slo.yaml'), 'openslo_dir: ../openslo\n');
      const declared = await readFile('deploy/slo/approval.yaml', 'utf8');
      await writeFile(join(root, 'openslo', 'approval.yaml'), declared);
      const first = await compileProject(join(root, 'models'), RAW_SOURCES, sloPack.generators);
      expect(await compileProject(join(root, 'models'), RAW_SOURCES, sloPack.generators)).toBe(first);
      await writeFile(join(root, 'openslo', 'approval.yaml'), declared.replace('0.995', '0.99'));
      const edited = await compileProject(join(root, 'models'), RAW_SOURCES, sloPack.generators);
      expect(edited).not.toBe(first);
      expect(edited.models.get('slo_status')!.body).toContain('0.01');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses an SLO it cannot measure, naming the file and the field', () => {
    const good = `apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  budgetingMethod: Occurrences\n  indicator:\n    spec:\n      ratioMetric:\n        good: {metricSource: {type: companyos, spec: {eventType: api.requests_total, flow: approval, outcome: ok, latencyMsAtMost: 1500}}}\n        total: {metricSource: {type: companyos, spec: {eventType: api.requests_total, flow: approval}}}\n  timeWindow: [{duration: 28d, isRolling: true}]\n  objectives: [{target: 0.995}]\n`;
    expect(parseSlo(good, 'x.yaml')).toMatchObject({ name: 'x', flow: 'approval', target: 0.995 });
    expect(() => parseSlo(good.replace('0.995', '99.5'), 'x.yaml')).toThrow(new SloError('x.yaml: spec.objectives[0].target must be a share between 0 and 1, like 0.995.'));
    expect(() => parseSlo(good.replace('Occurrences', 'Timeslices'), 'x.yaml')).toThrow(/x\.yaml: spec\.budgetingMethod/);
    expect(() => parseSlo(good.replace('flow: approval}}}\n  time', 'flow: other}}}\n  time'), 'x.yaml')).toThrow(/same flow/);
  });

  it('generates multiwindow burn-rate alerts (page 14.4×/6×, ticket 3×/1×) that promtool accepts', async () => {
    const rules = parse(prometheusRules(await loadSlos('deploy/slo'))) as RuleFile;
    expect(rules.groups.map((g) => g.name)).toEqual([...FLOWS.map(() => expect.stringMatching(/^companyos-slo-/) as unknown as string), 'companyos-workflows', 'companyos-revops', 'companyos-dr']);
    for (const group of rules.groups.filter((g) => g.name.startsWith('companyos-slo-'))) {
      const records = group.rules.filter((r) => r.record);
      expect(records.map((r) => r.record!.replace('companyos:slo_error_ratio:rate', '')).sort()).toEqual(['1d', '1h', '2h', '30m', '3d', '5m', '6h']);
      const [page, ticket] = group.rules.filter((r) => r.alert);
      const slo = group.name.replace('companyos-slo-', '');
      expect(page).toMatchObject({ labels: { severity: 'page', slo } });
      expect(page!.expr).toContain(`companyos:slo_error_ratio:rate1h{slo="${slo}"} > 14.4 * 0.005 and companyos:slo_error_ratio:rate5m{slo="${slo}"} > 14.4 * 0.005`);
      expect(page!.expr).toContain(`rate6h{slo="${slo}"} > 6 * 0.005 and companyos:slo_error_ratio:rate30m{slo="${slo}"} > 6 * 0.005`);
      expect(ticket!.expr).toContain(`rate1d{slo="${slo}"} > 3 * 0.005 and companyos:slo_error_ratio:rate2h{slo="${slo}"} > 3 * 0.005`);
      expect(ticket!.expr).toContain(`rate3d{slo="${slo}"} > 1 * 0.005 and companyos:slo_error_ratio:rate6h{slo="${slo}"} > 1 * 0.005`);
      expect(records.every((r) => r.labels.slo === slo && r.expr.includes('le="1.5"'))).toBe(true);
    }

    const promtool = findPromtool();
    if (!promtool) {
      // Not installable here (no apt, no network): the structure checks above stand alone.
      console.warn('promtool is not available; the generated rules were checked by structure only');
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'companyos-slo-'));
    try {
      await writeFile(join(dir, 'rules.yaml'), prometheusRules(await loadSlos('deploy/slo')));
      const checked = spawnSync(promtool, ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
      expect(checked.status, checked.stdout + checked.stderr).toBe(0);
      expect(checked.stdout).toContain(`SUCCESS: ${FLOWS.length * 9 + 5} rules found`);
      // The approval-SLA alert fires once runs have been overdue for five minutes, and names their type.
      await writeFile(join(dir, 'approval-sla.test.yaml'), stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [{
          interval: '1m',
          input_series: [{ series: 'companyos_workflow_approvals_overdue{workflow_type="temporary-access"}', values: '0 0 1 1 1 1 1 1 1 1' }],
          alert_rule_test: [
            { eval_time: '5m', alertname: 'WorkflowApprovalSlaBreached', exp_alerts: [] },
            {
              eval_time: '8m', alertname: 'WorkflowApprovalSlaBreached',
              exp_alerts: [{ exp_labels: { severity: 'ticket', workflow_type: 'temporary-access' }, exp_annotations: annotationsOf('companyos-workflows', { workflow_type: 'temporary-access' }, 1) }],
            },
          ],
        }],
      }));
      const tested = spawnSync(promtool, ['test', 'rules', join(dir, 'approval-sla.test.yaml')], { encoding: 'utf8' });
      expect(tested.status, tested.stdout + tested.stderr).toBe(0);
      // The lead-SLA alert fires a minute after a tenant has an untouched lead past its SLA, and names the tenant.
      await writeFile(join(dir, 'lead-sla.test.yaml'), stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [{
          interval: '1m',
          input_series: [
            { series: 'companyos_revops_leads_past_sla{tenant="summit-internal"}', values: '0 0 2 2 2 0 0' },
            { series: 'companyos_revops_leads_past_sla{tenant="acme"}', values: '0 0 0 0 0 0 0' },
          ],
          alert_rule_test: [
            { eval_time: '2m', alertname: 'RevOpsLeadSlaBreached', exp_alerts: [] },
            {
              eval_time: '4m', alertname: 'RevOpsLeadSlaBreached',
              exp_alerts: [{ exp_labels: { severity: 'ticket', tenant: 'summit-internal' }, exp_annotations: annotationsOf('companyos-revops', { tenant: 'summit-internal' }, 2) }],
            },
            { eval_time: '6m', alertname: 'RevOpsLeadSlaBreached', exp_alerts: [] },
          ],
        }],
      }));
      const leadSla = spawnSync(promtool, ['test', 'rules', join(dir, 'lead-sla.test.yaml')], { encoding: 'utf8' });
      expect(leadSla.status, leadSla.stdout + leadSla.stderr).toBe(0);
      // The stale-drill alert: quiet while the last drill is 89 days old, firing an hour after it passes 90 days, and when there never was one.
      const day = 86_400;
      await writeFile(join(dir, 'dr-drill.test.yaml'), stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [{ series: 'companyos_dr_last_drill_age_seconds', values: `${89 * day}+60x180` }],
            alert_rule_test: [{ eval_time: '3h', alertname: 'DrDrillStale', exp_alerts: [] }],
          },
          {
            interval: '1m',
            input_series: [{ series: 'companyos_dr_last_drill_age_seconds', values: `${90 * day + 60}+60x120` }],
            alert_rule_test: [
              { eval_time: '30m', alertname: 'DrDrillStale', exp_alerts: [] },
              { eval_time: '90m', alertname: 'DrDrillStale', exp_alerts: [{ exp_labels: { severity: 'ticket' }, exp_annotations: annotationsOf('companyos-dr', {}, 0, 'DrDrillStale') }] },
            ],
          },
          {
            interval: '1m',
            input_series: [{ series: 'companyos_dr_last_drill_age_seconds', values: Array.from({ length: 121 }, () => 'Inf').join(' ') }],
            alert_rule_test: [{ eval_time: '90m', alertname: 'DrDrillStale', exp_alerts: [{ exp_labels: { severity: 'ticket' }, exp_annotations: annotationsOf('companyos-dr', {}, 0, 'DrDrillStale') }] }],
          },
        ],
      }));
      const drill = spawnSync(promtool, ['test', 'rules', join(dir, 'dr-drill.test.yaml')], { encoding: 'utf8' });
      expect(drill.status, drill.stdout + drill.stderr).toBe(0);
      // Shipping behind: quiet while changes wait up to a second (normal) or once 70 s for under 5 minutes; paging after 5 minutes over a minute.
      await writeFile(join(dir, 'backup-shipping.test.yaml'), stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [{ series: 'companyos_backup_unshipped_age_seconds', values: '0 1 0 1 0 70 70 70 0 0 0 0 0' }],
            alert_rule_test: [{ eval_time: '12m', alertname: 'BackupShippingBehind', exp_alerts: [] }],
          },
          {
            interval: '1m',
            input_series: [{ series: 'companyos_backup_unshipped_age_seconds', values: '0 0+60x20' }],
            alert_rule_test: [
              { eval_time: '4m', alertname: 'BackupShippingBehind', exp_alerts: [] },
              { eval_time: '10m', alertname: 'BackupShippingBehind', exp_alerts: [{ exp_labels: { severity: 'page' }, exp_annotations: annotationsOf('companyos-dr', {}, 0, 'BackupShippingBehind') }] },
            ],
          },
        ],
      }));
      // A stale base: quiet at a day and a half, a ticket an hour after two days.
      await writeFile(join(dir, 'backup-base.test.yaml'), stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [{ series: 'companyos_backup_base_age_seconds', values: `${1.5 * day}+60x180` }],
            alert_rule_test: [{ eval_time: '3h', alertname: 'BackupBaseStale', exp_alerts: [] }],
          },
          {
            interval: '1m',
            input_series: [{ series: 'companyos_backup_base_age_seconds', values: `${2 * day + 60}+60x120` }],
            alert_rule_test: [
              { eval_time: '30m', alertname: 'BackupBaseStale', exp_alerts: [] },
              { eval_time: '90m', alertname: 'BackupBaseStale', exp_alerts: [{ exp_labels: { severity: 'ticket' }, exp_annotations: annotationsOf('companyos-dr', {}, 0, 'BackupBaseStale') }] },
            ],
          },
        ],
      }));
      const base = spawnSync(promtool, ['test', 'rules', join(dir, 'backup-base.test.yaml')], { encoding: 'utf8' });
      expect(base.status, base.stdout + base.stderr).toBe(0);
      const shipping = spawnSync(promtool, ['test', 'rules', join(dir, 'backup-shipping.test.yaml')], { encoding: 'utf8' });
      expect(shipping.status, shipping.stdout + shipping.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

/** An alert's annotations as promtool expands them: `{{ $labels.<name> }}` and `{{ $value }}` filled in. */
function annotationsOf(group: string, labels: Record<string, string>, value: number, alert?: string): Record<string, string> {
  const file = parse(prometheusRules([])) as { groups: { name: string; rules: { alert: string; annotations: Record<string, string> }[] }[] };
  const { rules } = file.groups.find((g) => g.name === group)!;
  const { summary, description } = (alert ? rules.find((rule) => rule.alert === alert)! : rules[0]!).annotations;
  const fill = (text: string) => Object.entries(labels).reduce((t, [name, v]) => t.replaceAll(`{{ $labels.${name} }}`, v), text).replaceAll('{{ $value }}', String(value));
  return { summary: fill(summary!), description: fill(description!) };
}
