import { marked } from 'marked';
import type { Row } from '../../kernel/warehouse/index.ts';
import type { TenantScope } from '../../platform/tenancy/index.ts';
import { renderChart, type ChartKind } from './charts.ts';
import { extractComponents, insertComponents, type ComponentTag } from './components.ts';
import { formatValue, type ValueFormat } from './formats.ts';
import type { ReportPage } from './page-file.ts';
import { runQueries } from './run-page-queries.ts';

export interface RenderedPage {
  html: string;
  /** Query name → rows, for CSV export. */
  results: Map<string, Row[]>;
  /** Queries or components that failed, each named; shown on the page too. */
  problems: string[];
}

export interface RenderContext {
  /** The viewer's tenant's data: every table a query names is read through it (`scopePageQuery`). */
  scope: TenantScope;
  /** The same tenant's operational state (the ledger, approvals, invoices): where a query that reads only those runs. */
  stateScope?: TenantScope;
  /** Other pages, for the navigation: slug → title. */
  nav: Map<string, string>;
  /** How a page links to another page and to a query's CSV (live routes or static files). */
  href(slug: string): string;
  csvHref(slug: string, query: string): string;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Runs a page's queries (each scoped to the tenant) and renders it to one self-contained HTML document. */
export async function renderPage(page: ReportPage, context: RenderContext): Promise<RenderedPage> {
  // Unsupported syntax fails the whole page: rendering the rest would show the construct as raw text.
  if (page.syntaxProblems.length) return { html: layout(page, context, problemList(page.syntaxProblems)), results: new Map(), problems: [...page.syntaxProblems] };
  const { results, problems } = await runQueries(page, context);
  return renderBody(page, context, results, problems);
}

async function renderBody(page: ReportPage, context: RenderContext, results: Map<string, Row[]>, problems: string[]): Promise<RenderedPage> {
  const { markdown, html } = await extractComponents(page.body, async (tag) => {
    try {
      return renderComponent(tag, results, page, context);
    } catch (error) {
      problems.push(`<${tag.name}>: ${(error as Error).message}`);
      return `<div class="error">${escape(`<${tag.name}>: ${(error as Error).message}`)}</div>`;
    }
  });
  const content = insertComponents(await marked.parse(markdown), html);
  return { html: layout(page, context, problemList(problems) + content), results, problems };
}

const problemList = (problems: string[]) =>
  problems.length ? `<div class="error"><strong>This page has problems:</strong><ul>${problems.map((p) => `<li>${escape(p)}</li>`).join('')}</ul></div>` : '';

function renderComponent(tag: ComponentTag, results: Map<string, Row[]>, page: ReportPage, context: RenderContext): string {
  const name = tag.props.data;
  if (!name) throw new Error('it needs data={query}');
  const rows = results.get(name);
  if (!rows) throw new Error(`there is no result for query ${name}`);
  const fmt = tag.props.fmt as ValueFormat;
  switch (tag.name) {
    case 'BigValue': {
      const column = tag.props.value ?? Object.keys(rows[0] ?? {})[0] ?? '';
      const value = rows[0]?.[column];
      return `<div class="big-value" data-query="${escape(name)}" data-column="${escape(column)}" data-value="${escape(String(value ?? ''))}">` +
        `<div class="label">${escape(tag.props.title ?? column)}</div><div class="number">${escape(formatValue(value, fmt))}</div></div>`;
    }
    case 'Value': {
      const column = tag.props.column ?? Object.keys(rows[0] ?? {})[0] ?? '';
      const value = rows[Number(tag.props.row ?? 0)]?.[column];
      return `<span class="value" data-value="${escape(String(value ?? ''))}">${escape(formatValue(value, fmt))}</span>`;
    }
    case 'DataTable': {
      const columns: Record<string, string>[] = tag.columns.length ? tag.columns : Object.keys(rows[0] ?? {}).map((id) => ({ id }));
      const head = columns.map((c) => `<th>${escape(c.title ?? c.id ?? '')}</th>`).join('');
      const body = rows
        .map((row) => `<tr>${columns.map((c) => `<td class="${c.fmt ?? ''}">${escape(formatValue(row[c.id ?? ''], c.fmt as ValueFormat))}</td>`).join('')}</tr>`)
        .join('');
      return `<div class="table" data-query="${escape(name)}"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>` +
        `<a class="csv" href="${escape(context.csvHref(page.slug, name))}">Download CSV (${rows.length} rows)</a></div>`;
    }
    default: {
      const kind: ChartKind = tag.name === 'LineChart' ? 'line' : tag.name === 'AreaChart' ? 'area' : 'bar';
      const x = tag.props.x;
      const y = (tag.props.y ?? '').replace(/^\[|\]$/g, '').split(',').map((c) => c.trim()).filter(Boolean);
      if (!x || y.length === 0) throw new Error('it needs x= and y=');
      for (const column of [x, ...y, ...(tag.props.series ? [tag.props.series] : [])]) {
        if (rows.length && !(column in rows[0]!)) throw new Error(`query ${name} has no column ${column}`);
      }
      const svg = renderChart({ kind, rows, x, y, series: tag.props.series, type: tag.props.type === 'grouped' ? 'grouped' : 'stacked', title: tag.props.title });
      return `<figure class="chart" data-chart="${kind}" data-query="${escape(name)}" data-points="${rows.length}">${svg}</figure>`;
    }
  }
}

function layout(page: ReportPage, context: RenderContext, content: string): string {
  const nav = [...context.nav].map(([slug, title]) => `<a href="${escape(context.href(slug))}"${slug === page.slug ? ' class="current"' : ''}>${escape(title)}</a>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(page.title)} · CompanyOS</title><link rel="icon" href="data:,">
<style>${STYLE}</style></head>
<body><nav>${nav}</nav><main data-tenant="${escape(context.scope.tenant)}">${content}</main></body></html>
`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2433;background:#f7f8fa}
nav{background:#1d2433;padding:10px 24px;display:flex;gap:18px;flex-wrap:wrap}nav a{color:#c9d1e3;text-decoration:none}nav a.current{color:#fff;font-weight:600}
main{max-width:1100px;margin:0 auto;padding:12px 24px 48px}h1{font-size:26px}h2{margin-top:32px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.big-value{display:inline-block;background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:10px 16px;margin:0 12px 12px 0;min-width:170px}
.big-value .label{font-size:12px;color:#5b6478;text-transform:uppercase;letter-spacing:.04em}.big-value .number{font-size:26px;font-weight:600}
figure.chart{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:8px;margin:12px 0;overflow-x:auto}
.table{overflow-x:auto;margin:12px 0}table{border-collapse:collapse;background:#fff;min-width:50%}th,td{border-bottom:1px solid #e6e9ef;padding:5px 10px;text-align:left}
td.usd,td.num,td.pct{text-align:right;font-variant-numeric:tabular-nums}a.csv{font-size:12px;display:inline-block;margin-top:4px}
.error{background:#fdecea;border:1px solid #f5c2c0;color:#7d1a14;padding:8px 12px;border-radius:6px;margin:12px 0}`;
