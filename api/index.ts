export { buildServer, DEFAULT_MAX_BATCH_EVENTS, DEFAULT_MAX_BODY_BYTES, type ServerOptions } from './server.ts';
export { TokenAuthority, ROLES, type Role, type Principal, type TokenRequest } from './auth.ts';
export { API_ERRORS, ApiError, errorCatalogue, type ApiErrorCode } from './errors.ts';
export { listEvents, eventStats, type EventFilter } from './queries/events.ts';
export { listQuarantine, type QuarantineFilter, type ParkedEvent } from './queries/quarantine.ts';
export { recordTrueCosts, readFinopsSummary, readReconciliation, readAttribution, readTenantCost, readSimulationAccuracy } from './queries/finops.ts';
export { replyTable, wantsCsv } from './csv-reply.ts';
export { readCogs, readMargins, simulatePricing, COGS_GROUPS, type CogsGroup } from './queries/economics.ts';
