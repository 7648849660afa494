/** A valid CloudEvent for tests, with overrides; `undefined` removes an attribute. */
export function cloudEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: 'evt-1',
    source: 'urn:companyos:test',
    type: 'policy.decisions_total',
    time: '2026-11-20T12:00:00Z',
    tenantid: 'acme',
    policyversion: 'v7',
    plan: 'pro',
    data: { value: 1 },
    ...overrides,
  };
  for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key];
  return event;
}
