import { parseServerTiming, SERVER_TIMING_PHASES } from '../../surfaces/http/index.ts';
import type { FlowSamples } from './open-loop.ts';

/** Where a band of requests spent their time, on average (ms): in the server by phase, and outside it. */
export interface Band {
  requests: number;
  /** The band's lowest latency. */
  fromMs: number;
  latencyMs: number;
  /**
   * Latency beyond the server's own `app` time: before it took the request or after it answered — the load driver's
   * send lag (latency counts from each request's scheduled time), sockets, a balancer, the event loop's queue.
   */
  outsideMs: number;
  appMs: number;
  phasesMs: Record<string, number>;
  /** Replies without a Server-Timing header (the platform not asked for one): left out of the averages. */
  untimed: number;
}

/**
 * The slowest `share` of the requests of `flows` together (the tail: `share` 0.01 is the worst 1%) against the band
 * around the median of the same requests, each split into the server's phases and the time outside it.
 */
export function tailBands(flows: readonly FlowSamples[], share = 0.01): { tail: Band; median: Band } {
  const all = flows.flatMap((s) => s.latencies.map((latency, i) => ({ latency, timing: s.serverTimings[i] })));
  all.sort((a, b) => a.latency - b.latency);
  const tailFrom = Math.min(all.length - 1, Math.floor(all.length * (1 - share)));
  const half = Math.max(1, Math.floor((all.length * share) / 2));
  const middle = Math.floor(all.length / 2);
  return {
    tail: band(all.slice(tailFrom)),
    median: band(all.slice(Math.max(0, middle - half), middle + half)),
  };
}

function band(requests: readonly { latency: number; timing: string | undefined }[]): Band {
  const timed = requests.flatMap(({ latency, timing }) => (timing ? [{ latency, timings: parseServerTiming(timing) }] : []));
  const mean = (pick: (r: (typeof timed)[number]) => number) => (timed.length ? timed.reduce((sum, r) => sum + pick(r), 0) / timed.length : 0);
  return {
    requests: requests.length,
    fromMs: requests[0]?.latency ?? 0,
    // Over the timed requests, so that the parts add up to it; over all when none was timed.
    latencyMs: timed.length ? mean((r) => r.latency) : requests.length ? requests.reduce((sum, r) => sum + r.latency, 0) / requests.length : 0,
    outsideMs: mean((r) => r.latency - (r.timings.app ?? 0)),
    appMs: mean((r) => r.timings.app ?? 0),
    phasesMs: Object.fromEntries(SERVER_TIMING_PHASES.map((phase) => [phase, mean((r) => r.timings[phase] ?? 0)])),
    untimed: requests.length - timed.length,
  };
}

/** `45.1 ms = outside 12.0 + app 33.1 (auth 0.3, parse 0.1, gate 1.5, handler 30.9, receipt 0.3)`. */
export function describeBand(b: Band): string {
  const phases = SERVER_TIMING_PHASES.map((phase) => `${phase} ${b.phasesMs[phase]!.toFixed(1)}`).join(', ');
  return `${b.latencyMs.toFixed(1)} ms = outside the server ${b.outsideMs.toFixed(1)} + in it ${b.appMs.toFixed(1)} (${phases})` +
    (b.untimed ? `; ${b.untimed} of ${b.requests} without Server-Timing` : '');
}

/** The phase (or the time outside the server) a band's requests waited on most, and its share of their latency. */
export function largestPart(b: Band): { part: string; share: number } {
  const parts: [string, number][] = [['outside the server (the driver\'s send lag, sockets, the event loop\'s queue)', b.outsideMs], ...Object.entries(b.phasesMs)];
  const [part, ms] = parts.reduce((best, next) => (next[1] > best[1] ? next : best));
  return { part, share: b.latencyMs > 0 ? ms / b.latencyMs : 0 };
}
