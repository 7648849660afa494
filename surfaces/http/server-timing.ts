import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Where a request's time went inside the server, in the order the phases end: `auth` (the onRequest hooks: the
 * credential checked, quotas), `parse` (body read and validated), `gate` (the policy gate's preHandler: locks, the
 * resource read, Cedar's decision, a receipt committed before the action), `handler` (the action, with a receipt
 * written in its transaction), `receipt` (a receipt appended after the action, and the other onSend work). `app` is the
 * whole: from the first onRequest hook to the header being set (a streamed body's transfer comes after). A route that
 * reads its body in its handler (a bill upload, whose receipt is written once the body is stored) counts that as `handler`.
 * An answer of 400 or more carries `app` only.
 */
export const SERVER_TIMING_PHASES = ['auth', 'parse', 'gate', 'handler', 'receipt'] as const;
export type ServerTimingPhase = (typeof SERVER_TIMING_PHASES)[number];

declare module 'fastify' {
  interface FastifyRequest {
    /** Milliseconds since the request began (`reply.elapsedTime`) at which each phase ended. */
    phaseEnds?: Partial<Record<ServerTimingPhase, number>>;
  }
}

/**
 * The W3C `Server-Timing` response header (`auth;dur=0.3, …, app;dur=7.1`), opt-in (`COMPANYOS_SERVER_TIMING`): what a
 * load test needs to tell a slow server from a queue in front of it. Registered in two halves around the policy gate,
 * whose hooks run in registration order between them: `before` as the server's first hooks, `after` once the gate is.
 */
export function serverTimingHooks(app: FastifyInstance): { after(): void } {
  const end = (request: FastifyRequest, phase: ServerTimingPhase, at: number) => ((request.phaseEnds ??= {})[phase] = at);
  app.addHook('preParsing', async (request, reply) => void end(request, 'auth', reply.elapsedTime));
  app.addHook('preHandler', async (request, reply) => void end(request, 'parse', reply.elapsedTime));
  // The first phase not yet ended ends here: the handler's, or, for a request refused or parked before it, the one it stopped in.
  app.addHook('onSend', async (request, reply) => {
    const next = SERVER_TIMING_PHASES.find((phase) => phase !== 'receipt' && request.phaseEnds?.[phase] === undefined) ?? 'handler';
    end(request, next, reply.elapsedTime);
  });
  return {
    after() {
      app.addHook('preHandler', async (request, reply) => void end(request, 'gate', reply.elapsedTime));
      app.addHook('onSend', async (request, reply, payload) => {
        const app = reply.elapsedTime;
        end(request, 'receipt', app);
        // A refusal says only its total, which its caller measures anyway: how long each step took could tell one
        // reason for a 404 from another (an entity of another tenant from none at all).
        reply.header('server-timing', reply.statusCode >= 400 ? serverTiming({}, app) : serverTiming(request.phaseEnds ?? {}, app));
        return payload;
      });
    },
  };
}

/** Each phase's duration from the end of the one before; phases a request did not reach (a refusal) are left out. */
export function serverTiming(ends: Partial<Record<ServerTimingPhase, number>>, total: number): string {
  const parts: string[] = [];
  let from = 0;
  for (const phase of SERVER_TIMING_PHASES) {
    const at = ends[phase];
    if (at === undefined) continue;
    parts.push(`${phase};dur=${Math.max(0, at - from).toFixed(2)}`);
    from = at;
  }
  parts.push(`app;dur=${total.toFixed(2)}`);
  return parts.join(', ');
}

/** A `Server-Timing` header's durations by name (ms); names without a duration are left out. */
export function parseServerTiming(header: string | undefined): Record<string, number> {
  const timings: Record<string, number> = {};
  for (const metric of (header ?? '').split(',')) {
    const [rawName, ...params] = metric.split(';');
    const name = rawName!.trim();
    const duration = params.map((p) => /^\s*dur=(\d+(?:\.\d+)?)\s*$/i.exec(p)?.[1]).find((d) => d !== undefined);
    if (name && duration !== undefined) timings[name] = Number(duration);
  }
  return timings;
}
