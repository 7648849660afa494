/** Most events accepted in one POST /v1/events (COMPANYOS_MAX_BATCH). */
export const DEFAULT_MAX_BATCH_EVENTS = 5_000;
/** Largest request body, in bytes (COMPANYOS_MAX_BODY_BYTES). */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Largest bill file POST /v1/finops/bills accepts, streamed to disk (COMPANYOS_MAX_BILL_BYTES). */
export const DEFAULT_MAX_BILL_BYTES = 2 * 1024 ** 3;
