export { buildServer, type ServerOptions } from './server.ts';
export { API_ERRORS, errorCatalogue, httpStatusOf } from './kit/index.ts';
export { renderOpenApiDocument, formatOpenApiDocument, COMMITTED_OPENAPI, type OpenApiDocument } from './openapi/openapi-document.ts';
export { closeInOrder } from './bounded-close.ts';
export { parseServerTiming, SERVER_TIMING_PHASES, type ServerTimingPhase } from './server-timing.ts';
