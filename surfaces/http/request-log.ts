import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';

type LoggerOptions = Exclude<NonNullable<FastifyServerOptions['logger']>, boolean>;

/** Where log lines go when not stdout (a test's capture). */
export interface LogStream {
  write(line: string): void;
}

const REDACTED = '[REDACTED]';
/** A compact JWS (three base64url parts, the header starting `eyJ`): a bearer token wherever it appears. */
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const TOKEN_PARAM = /([?&]token=)[^&#\s]*/gi;

/** `text` with every bearer token and `token=` query value replaced. */
export function scrubTokens(text: string): string {
  return text.replace(TOKEN_PARAM, `$1${REDACTED}`).replace(JWT, REDACTED);
}

/**
 * The server's pino options: no log line carries a token, at any level. Request
 * URLs lose their `token` parameter, credential headers are redacted wherever a
 * request or response is logged, and messages and errors are scrubbed of anything
 * shaped like a JWT.
 */
export function loggerOptions(level: string, stream?: LogStream): LoggerOptions {
  return {
    level,
    stream,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'res.headers["set-cookie"]'],
      censor: REDACTED,
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: scrubTokens(request.url ?? ''),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
      err: (error: Error & { code?: unknown }) => ({
        type: error.name,
        message: scrubTokens(String(error.message)),
        stack: scrubTokens(String(error.stack)),
        code: error.code,
      }),
    },
    hooks: {
      logMethod(args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? scrubTokens(arg) : arg)));
      },
    },
  };
}

/** Fastify's own request log lines, with the URL scrubbed where Fastify writes it into the message. */
export class TokenSafeLogController extends LogController {
  override routeNotFound(request: FastifyRequest, _reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    request.log.info(`Route ${request.raw.method}:${scrubTokens(request.raw.url ?? '')} not found`);
  }
}
