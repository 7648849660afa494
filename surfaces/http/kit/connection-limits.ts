import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { API_ERRORS } from './errors.ts';

/** How long a client may take to send a request, and how many connections one address may hold. */
export interface ConnectionLimits {
  /** From the connection (or the previous response) to the end of the request headers. */
  headersTimeoutMs: number;
  /** From the start of a request to its last body byte: a slow drip is cut here (408), however steady. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections one client address may hold; the next is answered 429 and closed. 0: no cap. */
  maxConnectionsPerIp: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 72_000,
  maxConnectionsPerIp: 256,
};

/**
 * The Fastify options that bound a slow client. No socket idle timeout
 * (`connectionTimeout`): a long build answers after minutes of silence, and the
 * request timeout already bounds what a client can hold while sending.
 */
export function timeoutOptions(limits: ConnectionLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      // Node checks both timeouts on this tick (30 s by default, longer than either limit may be).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  };
}

/** Fastify's client-error answers in the catalogue's shape: a timed-out request gets 408 REQUEST_TIMEOUT. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, status, reason] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? (['REQUEST_TIMEOUT', 408, 'Request Timeout'] as const)
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? (['BAD_REQUEST', 431, 'Request Header Fields Too Large'] as const)
      : (['BAD_REQUEST', 400, 'Bad Request'] as const);
  if (socket.writable) socket.end(rawResponse(status, reason, code), () => socket.destroy());
  else socket.destroy();
}

function rawResponse(status: number, reason: string, code: keyof typeof API_ERRORS): string {
  const body = JSON.stringify({ code, message: API_ERRORS[code][1] });
  return `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Answers a client address's connection beyond `max` open ones with 429 and closes it before reading a byte. */
export function capConnectionsPerIp(server: Server, max: number): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  const refusal = rawResponse(429, 'Too Many Requests', 'TOO_MANY_CONNECTIONS');
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.pause();
      socket.end(refusal, () => socket.destroy());
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
