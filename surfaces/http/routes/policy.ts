import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ACTIONS, type PolicyEngine, type ResourceAttributes } from '../../../kernel/policies/index.ts';
import { parseCases, PolicyCaseError, runCases } from '../../../kernel/policies/index.ts';
import { bodyErrorsAs } from '../kit/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { DecisionLog } from '../../../platform/governance/index.ts';
import { filtersOwnPrincipal, redactDecision } from '../../../platform/governance/index.ts';
import { decisionsSchema, MAX_CASES, simulateBodySchema, simulationSchema } from './policy-schemas.ts';

/** The tenant's view of the policy bundle: preflight simulation and the decision log. */
export function policyRoutes(app: FastifyInstance, deps: { engine: PolicyEngine; decisions: DecisionLog; region: string }): void {
  const bundle = (request: FastifyRequest): ResourceAttributes => ({
    id: 'policy-bundle',
    tenant: request.principal!.tenant,
    kind: 'PolicyBundle',
    data_class: 'internal',
    region: deps.region,
  });

  app.post<{ Body: unknown }>(
    '/v1/policy/simulate',
    {
      schema: {
        operationId: 'simulatePolicy',
        summary: 'Simulate policy cases against the live bundle',
        description:
          'Preflight (admins, operators, auditors): evaluates cases as `cedar run-tests` reads them, [{name, request: {principal, action, resource, context}, entities, decision?, reason?}] ' +
          '(or {cases: [...]}), against the live policy bundle; PASS or FAIL per case, with reasons. With an expected decision a case PASSes when the engine agrees; ' +
          `without one it PASSes when the request would be allowed. At most ${MAX_CASES} cases. Changes nothing; only the call itself is decided and logged, not receipted.`,
        tags: ['policy'],
        body: simulateBodySchema,
        response: { 200: simulationSchema },
      },
      schemaErrorFormatter: bodyErrorsAs({ '': 'POLICY_CASES_INVALID' }),
      config: { gate: { action: 'simulate_policy', resource: bundle } },
    },
    async (request) => {
      let cases;
      try {
        cases = parseCases(JSON.stringify(request.body), 'body', { requireDecision: false });
      } catch (error) {
        if (error instanceof PolicyCaseError) throw new DomainError('POLICY_CASES_INVALID', error.message);
        throw error;
      }
      if (cases.length > MAX_CASES) throw new DomainError('POLICY_CASES_INVALID', `At most ${MAX_CASES} cases per call.`);
      let results;
      try {
        results = runCases(deps.engine, 'body', cases);
      } catch (error) {
        // The cases are the caller's: one the engine cannot evaluate (a principal that is no entity uid) is theirs to fix.
        throw new DomainError('POLICY_CASES_INVALID', (error as Error).message);
      }
      return {
        bundle: { name: deps.engine.bundle.name, revision: deps.engine.revision },
        passed: results.filter((r) => r.outcome === 'PASS').length,
        failed: results.filter((r) => r.outcome === 'FAIL').length,
        results: results.map((r, i) => ({
          name: r.name,
          outcome: r.outcome,
          decision: r.actual.decision,
          reasons: r.actual.reasons,
          errors: r.actual.errors,
          expected: cases[i]!.decision ? r.expected : undefined,
        })),
      };
    },
  );

  app.get<{ Querystring: { decision?: 'allow' | 'deny'; action?: string; principal?: string; since?: string; limit: number } }>(
    '/v1/policy/decisions',
    {
      schema: {
        operationId: 'listDecisions',
        summary: 'Read the decision log',
        description:
          "Policy decisions about the caller's tenant (taken for its principals or about its resources), newest first, in OPA's decision log fields plus Cedar's reasons " +
          '(admins, operators, auditors; not receipted). ' +
          "Another tenant's side of a decision is masked: its resource when the caller's principal acted on it, its principal when it acted on the caller's resource " +
          '(fields hold "(redacted)" and are listed in `masked`). `principal` filters the caller\'s own principals only.',
        tags: ['policy'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            decision: { type: 'string', enum: ['allow', 'deny'], description: 'Only allows or only denials.' },
            action: { type: 'string', enum: [...ACTIONS], description: 'Only decisions about this action.' },
            principal: { type: 'string', maxLength: 300, description: 'Only decisions for this principal, `<tenant>/<subject>` (the caller\'s tenant\'s only).' },
            since: { type: 'string', format: 'date-time', description: 'Only decisions taken at or after this time.' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: { 200: decisionsSchema },
      },
      config: { gate: { action: 'audit', resource: bundle } },
    },
    async (request) => {
      const { since, ...filter } = request.query;
      const { tenant } = request.principal!;
      if (!filtersOwnPrincipal(filter.principal, tenant)) return { decisions: [] };
      const decisions = await deps.decisions.query(tenant, { ...filter, since: since ? new Date(since) : undefined });
      // Another tenant's side of a decision shows nothing beyond the decision and its reasons (kernel/policies/README.md).
      return { decisions: decisions.map((decision) => redactDecision(decision, tenant)) };
    },
  );
}
