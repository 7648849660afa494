/**
 * JSON Schemas of the policy routes' bodies. Cedar's own structures (entity
 * uids, entities, context records) keep Cedar's JSON format and are described
 * as open objects; the decision log has OPA's field names.
 */

const cedarUid = (what: string) => ({
  description: `The ${what}: a Cedar entity uid, as text (\`CompanyOS::User::"acme/alice"\`) or in Cedar's JSON format.`,
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 1000 },
    { type: 'object', additionalProperties: true, description: 'Cedar\'s entity uid JSON (`{"type", "id"}` or `{"__entity": {"type", "id"}}`).' },
  ],
});

/** One case, as `cedar run-tests` reads it. */
const policyCaseSchema = {
  type: 'object',
  required: ['request'],
  properties: {
    name: { type: 'string', maxLength: 500, description: 'Names the case in the results; its position when absent.' },
    request: {
      type: 'object',
      required: ['principal', 'action', 'resource'],
      description: 'A Cedar authorization request.',
      properties: {
        principal: cedarUid('principal'),
        action: cedarUid('action (`CompanyOS::Action::"read"`)'),
        resource: cedarUid('resource'),
        context: { type: 'object', additionalProperties: true, description: 'The Cedar context record, in Cedar\'s JSON format; empty when absent.' },
      },
    },
    entities: {
      type: 'array',
      items: { type: 'object', additionalProperties: true, description: 'A Cedar entity in Cedar\'s JSON format (`uid`, `attrs`, `parents`).' },
      description: 'The entities the request is evaluated with.',
    },
    decision: { type: 'string', enum: ['allow', 'deny'], description: 'The decision expected; absent asks only whether the request would be allowed.' },
    reason: { type: 'array', items: { type: 'string' }, description: 'The policy ids expected to determine the decision (compared as a set); absent checks the decision only.' },
  },
} as const;

/** Most cases one simulation takes. */
export const MAX_CASES = 1_000;

export const simulateBodySchema = {
  description: 'Policy cases: an array of them, or `{"cases": [...]}`.',
  anyOf: [
    { type: 'array', maxItems: MAX_CASES, items: policyCaseSchema },
    { type: 'object', required: ['cases'], properties: { cases: { type: 'array', maxItems: MAX_CASES, items: policyCaseSchema } } },
  ],
  examples: [[{
    name: 'a principal the entities do not describe may not create',
    request: { principal: 'CompanyOS::User::"acme/alice"', action: 'CompanyOS::Action::"create"', resource: 'CompanyOS::Resource::"acme-asset"', context: { env: 'dev' } },
    entities: [],
    decision: 'deny',
  }]],
} as const;

export const simulationSchema = {
  type: 'object',
  description: 'PASS or FAIL per case, with what the engine decided and why.',
  required: ['bundle', 'passed', 'failed', 'results'],
  properties: {
    bundle: {
      type: 'object',
      required: ['name', 'revision'],
      description: 'The policy bundle the cases ran against.',
      properties: { name: { type: 'string' }, revision: { type: 'string', description: 'Content hash and git commit of the bundle.' } },
    },
    passed: { type: 'integer' },
    failed: { type: 'integer' },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'outcome', 'decision', 'reasons', 'errors'],
        properties: {
          name: { type: 'string' },
          outcome: { type: 'string', enum: ['PASS', 'FAIL'] },
          decision: { type: 'string', enum: ['allow', 'deny'], description: 'What the engine decided.' },
          reasons: { type: 'array', items: { type: 'string' }, description: 'The ids of the policies that determined it; empty for a default deny.' },
          errors: { type: 'array', items: { type: 'string' }, description: 'Evaluation errors; a case with any FAILs.' },
          expected: {
            type: 'object',
            required: ['decision'],
            description: 'What the case expected; absent when it named no decision.',
            properties: { decision: { type: 'string', enum: ['allow', 'deny'] }, reason: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
  },
} as const;

const stringList = (description: string) => ({ type: 'array', items: { type: 'string' }, description }) as const;

/** One decision, in OPA's decision log fields plus Cedar's reasons (platform/governance/decision-log.ts). */
const decisionSchema = {
  type: 'object',
  required: ['decision_id', 'timestamp', 'path', 'input', 'result', 'bundles', 'erased', 'masked', 'trace_id', 'tenant', 'resource_tenant', 'method', 'route'],
  properties: {
    decision_id: { type: 'string' },
    timestamp: { type: 'string', format: 'date-time' },
    path: { type: 'string', description: 'The policy path: `cedar/<namespace>/<action>`.' },
    input: {
      type: 'object',
      required: ['principal', 'action', 'resource', 'context'],
      properties: {
        principal: { type: 'string', description: '`<tenant>/<subject>`, or "(redacted)".' },
        action: { type: 'string' },
        resource: { type: 'string', description: '`<kind>/<id>`, or "(redacted)".' },
        context: {
          type: 'object',
          additionalProperties: true,
          description: 'The decision\'s context: `env`, `approver` and `requester` when dual control applied, and the `resource` attributes decided on (`id`, `tenant`, `kind`, `data_class`, `region`).',
        },
      },
    },
    result: {
      type: 'object',
      required: ['decision', 'reasons', 'errors'],
      properties: {
        decision: { type: 'string', enum: ['allow', 'deny'] },
        reasons: stringList('The ids of the policies that determined it.'),
        errors: stringList('Evaluation errors.'),
      },
    },
    bundles: {
      type: 'object',
      description: 'The policy bundle decided under, by name.',
      additionalProperties: { type: 'object', required: ['revision'], properties: { revision: { type: 'string' } } },
    },
    erased: stringList('What the entry no longer holds (a decision restored from its receipt after a crash).'),
    masked: stringList('JSON pointers of the fields masked as another tenant\'s.'),
    trace_id: { type: 'string', description: 'The W3C trace id of the request (from `traceparent`), or "(redacted)".' },
    tenant: { type: 'string', description: "The principal's tenant, or \"(redacted)\"." },
    resource_tenant: { type: 'string', description: "The resource's tenant, or \"(redacted)\"." },
    method: { type: 'string', description: 'The HTTP method, or `CLI`.' },
    route: { type: 'string', description: 'The route (or CLI command) that asked.' },
  },
} as const;

export const decisionsSchema = {
  type: 'object',
  description: 'Decisions, newest first.',
  required: ['decisions'],
  properties: { decisions: { type: 'array', items: decisionSchema } },
} as const;
