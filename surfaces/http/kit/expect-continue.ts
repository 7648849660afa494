import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const wantsContinue = (request: FastifyRequest) => /^100-continue$/i.test(String(request.headers.expect ?? '').trim());

/**
 * `Expect: 100-continue` answered by the API instead of by Node: a client that asks
 * (curl does for bodies over 1 MB) is told to send its body only once the request
 * is authenticated, and, on upload routes (`gate.upload`), only once the policy
 * gate allowed it (`continueUpload`); a refused one never sends its body at all.
 */
export function answerExpectContinue(app: FastifyInstance): void {
  app.server.on('checkContinue', (request, response) => app.server.emit('request', request, response));
  app.addHook('preParsing', async (request, reply, payload) => {
    // A body announced larger than the route takes is refused (413) by the body parser next: no 100 Continue for it.
    if (wantsContinue(request) && !request.routeOptions.config.gate?.upload && !announcedTooLarge(request)) reply.raw.writeContinue();
    return payload;
  });
}

function announcedTooLarge(request: FastifyRequest): boolean {
  const declared = Number(request.headers['content-length']);
  return Number.isFinite(declared) && declared > request.routeOptions.bodyLimit;
}

/** On an upload route, after the gate: let a waiting client send its body. */
export function continueUpload(request: FastifyRequest, reply: FastifyReply): void {
  if (wantsContinue(request)) reply.raw.writeContinue();
}
