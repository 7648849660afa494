/** The user flows SLOs are declared for (deploy/slo/*.yaml), by route. Other routes are their own flow. */
const FLOWS: Record<string, string> = {
  'POST /v1/entities': 'create-entity',
  'POST /v1/entities/:id/entitlements': 'grant-entitlement',
  'POST /v1/approvals': 'approval',
  'POST /v1/policy/simulate': 'policy-simulate',
  'GET /v1/provenance/receipts/:id': 'provenance-fetch',
  'GET /v1/provenance/receipts/:id/disclose': 'provenance-fetch',
  'GET /v1/provenance/bundles/:id': 'provenance-fetch',
  'POST /v1/events': 'event-ingest',
};

export function flowOf(method: string, route: string): string {
  return FLOWS[`${method} ${route}`] ?? `${method} ${route}`;
}

/** The routes a flow is made of, as `/metrics` labels them. */
export function flowRoutes(flow: string): { method: string; route: string }[] {
  return Object.entries(FLOWS)
    .filter(([, name]) => name === flow)
    .map(([key]) => {
      const [method, route] = key.split(' ') as [string, string];
      return { method, route };
    });
}
