// The layer map the boundary lint enforces (eslint.config.js), in one place so that
// its test (dev/layers.test.ts) plants violations against the same rules.

/** Each folder that is a unit of the architecture, by the layer it belongs to. Most specific first. */
export const LAYER_ELEMENTS = [
  { type: 'kernel', pattern: 'kernel/*', capture: ['module'] },
  { type: 'platform', pattern: 'platform/*', capture: ['module'] },
  { type: 'pack-http', pattern: 'packs/*/http', capture: ['pack'] },
  { type: 'pack-cli', pattern: 'packs/*/cli', capture: ['pack'] },
  { type: 'pack-registry', pattern: 'packs/*.ts', mode: 'file' },
  { type: 'pack-descriptor', pattern: 'packs/*/pack.ts', mode: 'file', capture: ['pack'] },
  { type: 'pack', pattern: 'packs/*', capture: ['pack'] },
  { type: 'http-kit', pattern: 'surfaces/http/kit' },
  { type: 'cli-kit', pattern: 'surfaces/cli/kit' },
  { type: 'surface', pattern: 'surfaces/*', capture: ['surface'] },
  { type: 'dev', pattern: 'dev' },
  { type: 'sdk', pattern: 'clients/typescript' },
  { type: 'outside', pattern: '(test|benchmarks|clients|bin)' },
];

const samePack = (type) => [type, { pack: '${from.pack}' }];

/** Who may import whom: lower layers never import higher ones. */
export const LAYER_RULES = [
  { from: 'kernel', allow: ['kernel'] },
  { from: 'platform', allow: ['kernel', 'platform'] },
  { from: 'pack', allow: ['kernel', 'platform', 'pack'] },
  { from: 'pack-http', allow: ['kernel', 'platform', 'http-kit', samePack('pack'), samePack('pack-http')] },
  { from: 'pack-cli', allow: ['kernel', 'platform', 'cli-kit', samePack('pack'), samePack('pack-cli')] },
  { from: 'pack-descriptor', allow: ['kernel', 'platform', 'pack-registry', samePack('pack'), samePack('pack-http'), samePack('pack-cli')] },
  { from: 'pack-registry', allow: ['kernel', 'platform', 'http-kit', 'cli-kit', 'pack', 'pack-http', 'pack-cli', 'pack-registry', 'pack-descriptor'] },
  { from: 'http-kit', allow: ['kernel', 'platform'] },
  { from: 'cli-kit', allow: ['kernel', 'platform', 'pack', 'pack-registry', 'http-kit', 'surface', 'sdk'] },
  { from: 'surface', allow: ['kernel', 'platform', 'pack', 'pack-registry', 'http-kit', 'cli-kit', 'surface', 'sdk', 'dev'] },
  { from: 'sdk', allow: ['sdk'] },
  { from: 'dev', allow: ['kernel', 'dev'] },
  { from: 'outside', allow: ['*'] },
];

/** Another folder is entered through its index.ts (a pack's registry entry through its pack.ts), never its internals. */
export const ENTRY_POINT_RULES = [
  { target: ['kernel', 'platform', 'pack', 'pack-http', 'pack-cli', 'http-kit', 'cli-kit', 'surface', 'dev'], disallow: ['**'] },
  { target: ['kernel', 'platform', 'pack', 'pack-http', 'pack-cli', 'http-kit', 'cli-kit', 'surface', 'dev'], allow: ['index.ts'] },
];

/** Files that must not import Fastify: everything below the HTTP surface. */
export const HTTP_FREE_FILES = {
  files: ['kernel/**/*.ts', 'platform/**/*.ts', 'packs/**/*.ts'],
  ignores: ['packs/*/http/**', 'packs/*.ts', '**/*.test.ts'],
};

/** Services only the composition root (surfaces/compose/create-platform.ts) constructs. */
export const COMPOSED_SERVICES = ['IdentityMappings', 'ApiKeys', 'ProviderTokens', 'LoginSessions', 'OidcLogin', 'ScimDirectory', 'PolicyGate', 'DecisionLog', 'LedgerStore', 'EntityStore', 'ApprovalStore', 'EvidenceStore', 'IngestPipeline', 'PlatformMetrics', 'BuildGate'];

/**
 * Above the platform, tenant data is read through a TenantScope (platform/tenancy), never by SQL on
 * the warehouse or the state store itself. The files that still run SQL on it, and why; a file moved to the scope comes
 * off the list, and nothing new goes on it.
 */
export const RAW_WAREHOUSE_READERS = [
  { file: 'packs/finops/invoices/invoices.ts', why: 'an invoice (in the state store) is visible to its issuer and to the customer the operator billed: two tenant columns, hand-written' },
  { file: 'packs/revops/leads/lead-events.ts', why: 'leads sent as events are taken from every tenant\'s stream by the operator\'s sweep, each into its own tenant\'s intake' },
  { file: 'packs/revops/owed-receipts.ts', why: 'the sweep finds every tenant\'s decisions stored without their receipt (after a crash) and appends each to its own tenant\'s log' },
  { file: 'packs/revops/routing/sla-sweep.ts', why: 'the SLA sweep finds every tenant\'s overdue leads (an operator\'s job) and reports each in its own tenant\'s stream' },
  { file: 'surfaces/http/readiness.ts', why: 'reads no tenant\'s data: the schema version and the readiness probe' },
  { file: 'surfaces/cli/commands/start.ts', why: 'reads no tenant\'s data: whether the warehouse is empty, before seeding' },
].map((entry) => entry.file);
