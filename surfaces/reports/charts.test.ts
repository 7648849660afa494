import { describe, expect, it } from 'vitest';
import { chartSeries, renderChart } from './charts.ts';

describe('chart series', () => {
  const rows = [
    { day: '2026-11-02', tenant: 'acme', cost: '1.50' },
    { day: '2026-11-01', tenant: 'globex', cost: '2' },
    { day: '2026-11-01', tenant: 'acme', cost: '3' },
    { day: '2026-11-02', tenant: 'acme', cost: '0.25' },
    { day: '2026-11-03', tenant: '', cost: '4' },
  ];

  it('splits rows by the series column in first-seen order, sums a category\'s rows, and leaves a gap where a series has none', () => {
    expect(chartSeries({ kind: 'area', rows, x: 'day', y: ['cost'], series: 'tenant' })).toEqual({
      xs: ['2026-11-02', '2026-11-01', '2026-11-03'],
      series: [
        { name: 'acme', data: [1.75, 3, null] },
        { name: 'globex', data: [null, 2, null] },
        { name: '(none)', data: [null, null, 4] },
      ],
    });
  });

  it('makes one series per y column without a series column', () => {
    const two = rows.map((row, i) => ({ ...row, revenue: i }));
    expect(chartSeries({ kind: 'bar', rows: two, x: 'day', y: ['cost', 'revenue'] }).series).toEqual([
      { name: 'cost', data: [1.75, 5, 4] },
      { name: 'revenue', data: [3, 3, 4] },
    ]);
  });

  it('draws rows whose values are missing, huge or not numbers, and a category that is missing', () => {
    const odd = [
      { day: '2026-11-01', cost: null },
      { day: '2026-11-02', cost: '99999999999999999999999999.9999999999' },
      { day: null, cost: 'twelve' },
    ];
    const { series } = chartSeries({ kind: 'bar', rows: odd, x: 'day', y: ['cost'] });
    expect(series[0]!.data.slice(0, 2)).toEqual([0, 1e26]);
    expect(Number.isNaN(series[0]!.data[2])).toBe(true);
    expect(renderChart({ kind: 'bar', rows: odd, x: 'day', y: ['cost'] }).startsWith('<svg')).toBe(true);
  });

  it('shows every series in its legend, wrapped onto rows: no page of entries the static SVG cannot turn to', () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ day: `2026-10-${String(1 + (i % 30)).padStart(2, '0')}`, tenant: i % 10 === 9 ? 'other tenants' : `sim-tenant-00${i % 10}`, cost: i }));
    const svg = renderChart({ kind: 'area', rows, x: 'day', y: ['cost'], series: 'tenant' });
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    for (const name of ['sim-tenant-000', 'sim-tenant-008', 'other tenants']) expect(texts).toContain(name);
    expect(texts.filter((text) => /^\d+\/\d+$/.test(text))).toEqual([]);
  });

  it('draws a chart of 100 series and 5,000 rows', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ day: `day-${i % 50}`, tenant: `tenant-${i % 100}`, cost: i }));
    const svg = renderChart({ kind: 'area', rows: many, x: 'day', y: ['cost'], series: 'tenant' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('tenant-99');
  });
});
