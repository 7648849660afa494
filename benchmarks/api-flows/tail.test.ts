import { describe, expect, it } from 'vitest';
import type { FlowSamples } from './open-loop.ts';
import { largestPart, tailBands } from './tail.ts';

const flow = (latencies: number[], timing: (latency: number) => string | undefined): FlowSamples => ({
  requests: latencies.length, latencies, serverTimings: latencies.map(timing), errors: 0, errorSamples: [],
});

describe('tail bands', () => {
  it('takes the slowest 1% of all the flows together and splits them into server phases and the time outside it', () => {
    // 198 fast requests that spent their time in the handler; two slow ones (the worst 1% of 200) that queued outside the server.
    const fast = Array.from({ length: 99 }, (_, i) => 10 + i / 100);
    const timing = (latency: number) => (latency < 100 ? `auth;dur=0.50, parse;dur=0.50, gate;dur=1.00, handler;dur=${(latency - 4).toFixed(2)}, receipt;dur=1.00, app;dur=${(latency - 1).toFixed(2)}` : 'auth;dur=0.50, handler;dur=9.50, app;dur=10.00');
    const { tail, median } = tailBands([flow([...fast, 300], timing), flow([...fast, 500], timing)]);
    expect(tail).toMatchObject({ requests: 2, fromMs: 300, latencyMs: 400, outsideMs: 390, appMs: 10, untimed: 0 });
    expect(tail.phasesMs).toEqual({ auth: 0.5, parse: 0, gate: 0, handler: 9.5, receipt: 0 });
    expect(largestPart(tail)).toEqual({ part: expect.stringMatching(/^outside the server/), share: 390 / 400 });
    expect(median.requests).toBe(2);
    expect(median.latencyMs).toBeCloseTo(10.5, 1);
    expect(median.outsideMs).toBeCloseTo(1, 5);
    expect(largestPart(median).part).toBe('handler');
  });

  it('counts replies without a Server-Timing header apart, out of the averages', () => {
    const { tail } = tailBands([flow([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], (latency) => (latency === 100 ? undefined : `app;dur=${latency}`))], 0.1);
    expect(tail).toMatchObject({ requests: 1, fromMs: 100, latencyMs: 100, untimed: 1, appMs: 0, outsideMs: 0 });
    // One of the two slowest timed: its parts add up to the band's latency, the untimed one is left out of all of them.
    const mixed = tailBands([flow([...Array.from({ length: 18 }, (_, i) => i + 1), 100, 200], (latency) => (latency === 200 ? undefined : `handler;dur=${latency / 2}, app;dur=${latency / 2}`))], 0.1);
    expect(mixed.tail).toMatchObject({ requests: 2, fromMs: 100, latencyMs: 100, outsideMs: 50, appMs: 50, untimed: 1 });
  });
});
