/** Latency percentiles (nearest-rank) over samples in milliseconds. */
export function percentiles(samples: readonly number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

export interface Measurement {
  name: string;
  events: number;
  seconds: number;
  batchMs: readonly number[];
}

export function throughput(m: Measurement): number {
  return m.events / m.seconds;
}

/** A fixed-width table row per measurement, in the shape every benchmark prints. */
export function report(measurements: readonly Measurement[]): string {
  const header = ['run', 'events', 'seconds', 'events/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
  const rows = measurements.map((m) => {
    const p = percentiles(m.batchMs);
    return [
      m.name,
      m.events.toLocaleString('en-US'),
      m.seconds.toFixed(2),
      Math.round(throughput(m)).toLocaleString('en-US'),
      p.p50.toFixed(1),
      p.p95.toFixed(1),
      p.p99.toFixed(1),
      p.max.toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

/** Runs `fn` and answers its result with the seconds it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  return [await fn(), (performance.now() - started) / 1000];
}
