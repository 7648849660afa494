import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonDepth, MAX_JSON_DEPTH, parseEventArray } from '../../platform/ingest/index.ts';
import { DomainError } from '../../kernel/errors/index.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body may be a batch of events: an element nested too deep is parked with its reason, not the request refused. */
    eventBatch?: boolean;
  }
}

type Done = (error: Error | null, body?: unknown) => void;

/** `\uD800`-`\uDBFF` not followed by `\uDC00`-`\uDFFF`, or the latter without the former; not after an escaped backslash. */
const LONE_SURROGATE_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})/;

/**
 * JSON bodies (`contentTypes`), with their depth counted before they are parsed:
 * deeper than MAX_JSON_DEPTH is refused with BODY_TOO_DEEP, except an event batch's
 * elements, which are parked one by one (EVENT_TOO_DEEP) beside their valid neighbours.
 * Otherwise Fastify's own parser (prototype-poisoning safe) reads the body.
 */
export function depthLimitedJsonParser(app: FastifyInstance): (request: FastifyRequest, body: string | Buffer, done: Done) => void {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    // I-JSON (RFC 7493): strings are Unicode text. A lone surrogate is not, and engines and Cedar refuse it.
    if (text.includes('\\u') && LONE_SURROGATE_ESCAPE.test(text)) {
      return done(new DomainError('BODY_NOT_JSON', 'It escapes a lone UTF-16 surrogate (like \\ud800), which is not Unicode text (I-JSON, RFC 7493).'));
    }
    const depth = jsonDepth(text, MAX_JSON_DEPTH + 1);
    if (depth <= MAX_JSON_DEPTH) return parse(request, text, done);
    if (!request.routeOptions.config.eventBatch || text.trimStart()[0] !== '[') {
      return done(new DomainError('BODY_TOO_DEEP', `The limit is ${MAX_JSON_DEPTH}.`));
    }
    try {
      done(null, parseEventArray(text, (shallow) => parseSync(parse, request, shallow)));
    } catch (error) {
      done(error as Error);
    }
  };
}

/** Fastify's default JSON parser answers through its callback, synchronously. */
function parseSync(parse: (request: FastifyRequest, body: string, done: Done) => void, request: FastifyRequest, text: string): unknown {
  let result: { error: Error | null; body?: unknown } | undefined;
  parse(request, text, (error, body) => (result = { error, body }));
  if (!result) throw new Error('the JSON parser did not answer synchronously');
  if (result.error) throw result.error;
  return result.body;
}
