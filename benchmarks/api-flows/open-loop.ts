/** One request of a flow: sends it and answers undefined when the reply is the expected one, else what was wrong. */
export type Shot = () => Promise<string | undefined>;

export interface FlowSamples {
  requests: number;
  /** Latency of each expected reply, from its scheduled send time (so a slow server cannot hold the load back). */
  latencies: number[];
  /** The `Server-Timing` header of each expected reply, in the order of `latencies` (undefined where there was none). */
  serverTimings: (string | undefined)[];
  errors: number;
  errorSamples: string[];
}

export interface LoopResult {
  flows: Map<string, FlowSamples>;
  /** From the first scheduled send to the last reply: what achieved rates divide by. */
  seconds: number;
  /** How late this process sent each request behind its schedule (ms): it should stay near 0. */
  sendLagMs: number[];
}

/**
 * Constant arrival rate, open loop: request i is sent at start + i/rate whether
 * or not earlier ones were answered; `shotAt(i)` names its flow and makes it.
 */
export async function openLoop(
  rate: number,
  seconds: number,
  shotAt: (i: number) => { flow: string; shot: Shot; serverTiming?: () => string | undefined },
): Promise<LoopResult> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const flows = new Map<string, FlowSamples>();
  const sendLagMs: number[] = [];
  const replies: Promise<void>[] = [];
  let lastReply = 0;
  const start = performance.now();

  const launch = (i: number, scheduled: number) => {
    const { flow, shot, serverTiming } = shotAt(i);
    let samples = flows.get(flow);
    if (!samples) flows.set(flow, (samples = { requests: 0, latencies: [], serverTimings: [], errors: 0, errorSamples: [] }));
    samples.requests++;
    sendLagMs.push(performance.now() - scheduled);
    const s = samples;
    replies.push(
      shot().then((problem) => {
        const now = performance.now();
        lastReply = Math.max(lastReply, now);
        if (problem === undefined) {
          s.latencies.push(now - scheduled);
          s.serverTimings.push(serverTiming?.());
        } else {
          s.errors++;
          if (s.errorSamples.length < 3) s.errorSamples.push(problem);
        }
      }),
    );
  };

  let i = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      for (; i < total && start + i * interval <= now; i++) launch(i, start + i * interval);
      if (i >= total) return done();
      setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(replies);
  return { flows, seconds: Math.max(seconds, (lastReply - start) / 1000), sendLagMs };
}

/**
 * Interleaves flows by weight (smooth weighted round robin): every window of
 * sum(weights) picks holds each flow exactly `weight` times, spread out.
 */
export function weightedSequence(weights: readonly [string, number][], length: number): string[] {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  const current = weights.map(() => 0);
  const out: string[] = [];
  for (let n = 0; n < length; n++) {
    let best = 0;
    weights.forEach(([, w], k) => {
      current[k]! += w;
      if (current[k]! > current[best]!) best = k;
    });
    current[best]! -= total;
    out.push(weights[best]![0]);
  }
  return out;
}
