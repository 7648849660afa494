import { stringify } from 'yaml';
import { flowRoutes } from '../../platform/metrics/index.ts';
import { SloError, type Slo } from './openslo.ts';

/** Multiwindow, multi-burn-rate alerts (FORMATS.md): both windows must burn faster than the factor. */
export const BURN_ALERTS = [
  { severity: 'page', factor: 14.4, long: '1h', short: '5m' },
  { severity: 'page', factor: 6, long: '6h', short: '30m' },
  { severity: 'ticket', factor: 3, long: '1d', short: '2h' },
  { severity: 'ticket', factor: 1, long: '3d', short: '6h' },
] as const;

/** The latency histogram's bucket bounds, in seconds (platform/metrics/metrics.ts): an SLO's bound must be one. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5];

const recordName = (window: string) => `companyos:slo_error_ratio:rate${window}`;

/** The selector of a flow's routes on the `/metrics` series. */
function selector(slo: Slo): string {
  const routes = flowRoutes(slo.flow);
  if (routes.length === 0) throw new SloError(`${slo.file}: no API route belongs to the flow ${slo.flow} (surfaces/http/self-metering.ts).`);
  const methods = [...new Set(routes.map((r) => r.method))];
  if (methods.length > 1) throw new SloError(`${slo.file}: the flow ${slo.flow} mixes methods ${methods.join(', ')}; alert rules need one.`);
  const escaped = routes.map((r) => r.route.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&'));
  return `method="${methods[0]}",route=~"${escaped.join('|')}"`;
}

/**
 * Bad requests over all requests in a window: server errors plus requests slower
 * than the bound (from the histogram). A slow 5xx counts twice, so the ratio
 * errs towards alerting.
 */
function errorRatio(slo: Slo, window: string): string {
  const le = slo.latencyMsAtMost / 1000;
  if (!BUCKETS.includes(le)) throw new SloError(`${slo.file}: latencyMsAtMost ${slo.latencyMsAtMost} is not a histogram bucket (${BUCKETS.map((b) => b * 1000).join(', ')} ms).`);
  const sel = selector(slo);
  return (
    `((sum(rate(companyos_http_requests_total{${sel},status=~"5.."}[${window}])) or vector(0))\n` +
    ` + (sum(rate(companyos_http_request_duration_seconds_count{${sel}}[${window}])) - sum(rate(companyos_http_request_duration_seconds_bucket{${sel},le="${le}"}[${window}]))))\n` +
    `/ sum(rate(companyos_http_requests_total{${sel}}[${window}]))`
  );
}

/** Prometheus rules: error-ratio recording rules per SLO and window, and the burn-rate alerts on them, as YAML. */
export function prometheusRules(slos: readonly Slo[]): string {
  const windows = [...new Set(BURN_ALERTS.flatMap((a) => [a.long, a.short]))];
  const groups = slos.map((slo) => {
    const budget = Number((1 - slo.target).toFixed(10));
    const burning = (severity: string) =>
      BURN_ALERTS.filter((a) => a.severity === severity)
        .map((a) => `(${recordName(a.long)}{slo="${slo.name}"} > ${a.factor} * ${budget} and ${recordName(a.short)}{slo="${slo.name}"} > ${a.factor} * ${budget})`)
        .join('\nor\n');
    return {
      name: `companyos-slo-${slo.name}`,
      rules: [
        ...windows.map((window) => ({ record: recordName(window), expr: `(${errorRatio(slo, window)})`, labels: { slo: slo.name } })),
        ...['page', 'ticket'].map((severity) => ({
          alert: `ErrorBudgetBurn${severity === 'page' ? 'Fast' : 'Slow'}`,
          expr: burning(severity),
          labels: { severity, slo: slo.name },
          annotations: {
            summary: `${slo.displayName}: the error budget is burning ${severity === 'page' ? 'fast' : 'steadily'}`,
            description:
              `More than the allowed ${(budget * 100).toFixed(2)}% of ${slo.flow} requests fail or take longer than ${slo.latencyMsAtMost} ms, ` +
              `over both windows of a burn-rate pair (${BURN_ALERTS.filter((a) => a.severity === severity).map((a) => `${a.factor}× over ${a.long} and ${a.short}`).join('; ')}).`,
          },
        })),
      ],
    };
  });
  return stringify({ groups: [...groups, WORKFLOW_ALERTS, REVOPS_ALERTS, DR_ALERTS] }, { lineWidth: 0 });
}

/** Governed workflows waiting on approvers past their type's SLA (the engine's sweep sets the gauge). */
const WORKFLOW_ALERTS = {
  name: 'companyos-workflows',
  rules: [{
    alert: 'WorkflowApprovalSlaBreached',
    expr: 'sum by (workflow_type) (companyos_workflow_approvals_overdue) > 0',
    for: '5m',
    labels: { severity: 'ticket' },
    annotations: {
      summary: '{{ $labels.workflow_type }} runs are waiting for approval past their SLA',
      description:
        '{{ $value }} {{ $labels.workflow_type }} run(s) have waited longer than the type\'s approval SLA (GET /v1/workflows/types). ' +
        'List them with `companyos workflow list --status awaiting-approval` and find an approver; each breach is also a ' +
        '`<pack>.approval_sla_breached` event in its tenant.',
    },
  }],
};

/** Routed leads past their first-touch SLA and still untouched (the RevOps pack's sweep sets the gauge). */
const REVOPS_ALERTS = {
  name: 'companyos-revops',
  rules: [{
    alert: 'RevOpsLeadSlaBreached',
    expr: 'sum by (tenant) (companyos_revops_leads_past_sla) > 0',
    for: '1m',
    labels: { severity: 'ticket' },
    annotations: {
      summary: '{{ $labels.tenant }} has routed leads past their first-touch SLA',
      description:
        '{{ $value }} lead(s) of {{ $labels.tenant }} were routed with an SLA (the routing rule\'s sla_minutes) and nobody has touched them since it ran out. ' +
        'Each is a `revops.lead.sla_breached` event in the tenant; its assignee records the touch with POST /v1/revops/leads/{id}/touch.',
    },
  }],
};

/**
 * Continuous backup over a minute behind (the RPO is not being met), and no successful DR drill for
 * 90 days, or never (the High-Risk Ops pack's sweep sets the gauge): the GA claims of RPO and RTO are stale.
 */
const DR_ALERTS = {
  name: 'companyos-dr',
  rules: [{
    alert: 'BackupShippingBehind',
    expr: 'max(companyos_backup_unshipped_age_seconds) > 60',
    for: '5m',
    labels: { severity: 'page' },
    annotations: {
      summary: 'Continuous backup is over a minute behind: a failure now would lose more than the 5 s RPO',
      description:
        'Changes acknowledged more than a minute ago are still not on the backup target (COMPANYOS_BACKUP_DIR): the target is full, gone or refusing writes. ' +
        'The platform log says why (`backup shipping: a segment could not be stored`); runbooks/backup-restore.md.',
    },
  }, {
    alert: 'BackupBaseStale',
    expr: 'max(companyos_backup_base_age_seconds) > 2 * 86400',
    for: '1h',
    labels: { severity: 'ticket' },
    annotations: {
      summary: 'Continuous backup has taken no new base for two days (one is due daily)',
      description:
        'The base snapshot that shipped changes follow is over two days old: new bases are failing (the log says `backup shipping: a new base snapshot failed`), ' +
        'so a restore replays ever more changes and the RTO grows. runbooks/backup-restore.md.',
    },
  }, {
    alert: 'DrDrillStale',
    expr: 'max(companyos_dr_last_drill_age_seconds) > 90 * 86400',
    for: '1h',
    labels: { severity: 'ticket' },
    annotations: {
      summary: 'No DR drill has succeeded in 90 days: the RPO and RTO claims are stale',
      description:
        'The last successful dr-drill run is more than 90 days old, or there never was one. Request one in the operator tenant ' +
        '(`companyos workflow request dr-drill`, runbooks/backup-restore.md); it backs up, restores into scratch, validates and records RTO and RPO.',
    },
  }],
};
