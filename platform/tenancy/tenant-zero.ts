/** The company's own tenant: it runs on the platform like any customer, and operates it. */
export const TENANT_ZERO = 'summit-internal';
