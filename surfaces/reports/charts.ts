import { createRequire } from 'node:module';
import type { Row } from '../../kernel/warehouse/index.ts';
import { formatValue } from './formats.ts';

/** The part of ECharts' API server-side rendering uses (its typings are `export =`, which ESM TypeScript cannot import). */
interface SsrChart {
  setOption(option: object): void;
  renderToSVGString(): string;
  dispose(): void;
}
interface ECharts {
  init(dom: null, theme: null, options: { renderer: 'svg'; ssr: true; width: number; height: number }): SsrChart;
}
// Loaded on the first chart: ECharts takes ~0.5 s to load, which every CLI command and platform start paid.
let echarts: ECharts | undefined;
const loadECharts = (): ECharts => (echarts ??= createRequire(import.meta.url)('echarts') as ECharts);

export type ChartKind = 'line' | 'bar' | 'area';

export interface ChartSpec {
  kind: ChartKind;
  rows: Row[];
  x: string;
  /** One or more value columns (`y=cost` or `y={[cost, revenue]}` → "cost, revenue"). */
  y: string[];
  /** A column whose values split the rows into series. */
  series?: string;
  /** Bars: stacked (default) or grouped. */
  type?: 'stacked' | 'grouped';
  title?: string;
}

const WIDTH = 760;
const HEIGHT = 320;
/** Height of a row of legend entries, and roughly what an entry takes: its symbol and gap, and each character of its name. */
const LEGEND_ROW = 22;
const LEGEND_ENTRY = 35;
const LEGEND_CHARACTER = 7;

/** Rows the legend's entries wrap onto at the chart's width (an estimate from the names' lengths; ECharts lays them out). */
function legendRows(names: readonly string[]): number {
  const width = names.reduce((sum, name) => sum + LEGEND_ENTRY + LEGEND_CHARACTER * name.length, 0);
  return Math.max(1, Math.ceil(width / (WIDTH - 40)));
}

/** A chart as an SVG string, rendered server-side by Apache ECharts: the page needs no script to show it. */
export function renderChart(spec: ChartSpec): string {
  const { xs, series } = chartSeries(spec);
  const chart = loadECharts().init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption({
      animation: false,
      title: spec.title ? { text: spec.title, left: 0, textStyle: { fontSize: 14 } } : undefined,
      // A plain legend, wrapped onto as many rows as it needs: a scrolling one pages with a script the page does not
      // run, so the static SVG hid every entry past its first page.
      legend: series.length > 1 ? { bottom: 0, type: 'plain' } : undefined,
      grid: { left: 64, right: 16, top: spec.title ? 40 : 16, bottom: series.length > 1 ? 24 + LEGEND_ROW * legendRows(series.map((s) => s.name)) : 32, containLabel: true },
      // No tooltip: the page runs no script to show one, and ECharts lays it out all the same (a third of a large chart's time).
      // Every category labelled while they fit; slanted when there are many.
      xAxis: { type: 'category', data: xs, boundaryGap: spec.kind === 'bar', axisLabel: xs.length <= 31 ? { interval: 0, rotate: xs.length > 8 ? 35 : 0 } : {} },
      yAxis: { type: 'value' },
      series: series.map((s) => ({
        name: s.name,
        type: spec.kind === 'bar' ? 'bar' : 'line',
        data: s.data,
        stack: spec.kind === 'area' || (spec.kind === 'bar' && spec.type !== 'grouped') ? 'total' : undefined,
        areaStyle: spec.kind === 'area' ? {} : undefined,
        showSymbol: spec.kind === 'line',
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * The chart's categories (x values as shown, in first-seen order) and its series: one per `y` column, or
 * one per value of `series`; each holds, per category, the sum of its rows there, or null where it has none.
 * Each row is placed by its category once: a chart of n rows costs O(n), not O(n × categories).
 */
export function chartSeries(spec: ChartSpec): { xs: string[]; series: { name: string; data: (number | null)[] }[] } {
  const xs = [...new Set(spec.rows.map((row) => formatValue(row[spec.x], undefined)))];
  const sumsAt = (rows: Row[], column: string) => {
    const sums = new Map<string, number>();
    for (const row of rows) {
      const x = formatValue(row[spec.x], undefined);
      sums.set(x, (sums.get(x) ?? 0) + Number(row[column] ?? 0));
    }
    return xs.map((x) => sums.get(x) ?? null);
  };
  if (!spec.series) return { xs, series: spec.y.map((column) => ({ name: column, data: sumsAt(spec.rows, column) })) };
  const bySeries = new Map<string, Row[]>();
  for (const row of spec.rows) {
    const name = String(row[spec.series] ?? '');
    const rows = bySeries.get(name);
    if (rows) rows.push(row);
    else bySeries.set(name, [row]);
  }
  return { xs, series: [...bySeries].map(([name, rows]) => ({ name: name || '(none)', data: sumsAt(rows, spec.y[0]!) })) };
}
