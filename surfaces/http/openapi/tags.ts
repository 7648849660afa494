/** The API's areas, one tag each: an operation's tag is its path's area (`documentRoutes`) unless it names one. */
export const API_TAGS = [
  { name: 'events', description: 'Metering and business events in (CloudEvents, HTTP), read back by tenant.' },
  { name: 'quarantine', description: 'Events refused at ingest, parked with why.' },
  { name: 'usage', description: 'Usage meters built by the transforms, per tenant.' },
  { name: 'transforms', description: 'Model builds (dbt-style) and their runs.' },
  { name: 'lineage', description: 'Which models, sources and meters feed which.' },
  { name: 'finops', description: 'Cloud bills in; cost attribution, COGS, margins, reconciliation and invoices out.' },
  { name: 'tenants', description: 'One tenant\'s usage and cost.' },
  { name: 'entities', description: 'The company graph: entities, their edges and entitlements.' },
  { name: 'approvals', description: 'Dual control: approving what someone else asked for.' },
  { name: 'workflows', description: 'Governed high-risk actions: request, preflight, approvals, execution and rollback, each transition receipted.' },
  { name: 'revops', description: 'Revenue operations: leads in (normalized, spam parked, duplicates linked) and merged.' },
  { name: 'policy', description: 'Cedar decisions: simulate one, read the decision log.' },
  { name: 'provenance', description: 'Signed receipts, the tenant\'s ledger, evidence and offline-verifiable bundles.' },
  { name: 'identity', description: 'Machine credentials: API keys with scopes, rotation and revocation.' },
  { name: 'operations', description: 'Health, readiness, metrics and this document.' },
] as const;
