import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/cli.ts';
import { TEST_SECRET } from '../../test/support/api.ts';
import { engineHarness, type EngineHarness } from '../../test/support/engines.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { TokenAuthority } from '../../platform/identity/index.ts';
import { buildServer } from './server.ts';

interface Assertion { comparison: string; source: 'response_status' | 'response_json' | 'response_time'; value: string | null; property?: string }
interface Step {
  step_type: 'request' | 'pause';
  note?: string;
  method?: string;
  url?: string;
  headers?: Record<string, string[]>;
  body?: string;
  assertions?: Assertion[];
  variables?: { source: 'response_json'; name: string; property: string }[];
}

/** Okta's published "SCIM 2.0 SPEC Test" (test/data/scim), step by step against /scim/v2, as Runscope runs it. */
const SUITE = JSON.parse(readFileSync(join(REPO_ROOT, 'test/data/scim/okta-scim-2.0-spec-test.json'), 'utf8')) as { name: string; steps: Step[] };

describe(`${SUITE.name} (Okta's Runscope suite) against /scim/v2`, () => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  let app: FastifyInstance;
  const variables: Record<string, string> = {};
  const fill = (text: string) => text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in variables)) throw new Error(`the suite uses {{${name}}}, which no step or setting gave`);
    return variables[name]!;
  });

  beforeAll(async () => {
    harness = await engineHarness('duckdb');
    warehouse = await harness.open();
    const tokens = new TokenAuthority(TEST_SECRET);
    app = await buildServer({ warehouse, tokens, logLevel: 'silent' });
    const token = await tokens.mint({ tenant: 'acme', roles: ['admin'], subject: 'okta-provisioning' });
    const suffix = Math.random().toString(36).slice(2, 10);
    // The test's initial variables, as Okta's guide has them set in Runscope.
    Object.assign(variables, {
      SCIMBaseURL: 'http://localhost/scim/v2', auth: `Bearer ${token}`, InvalidUserEmail: `abcdefgh${suffix}@example.com`, UserIdThatDoesNotExist: '010101001010101010',
      randomUsername: `Runscope${suffix}@atko.com`, randomEmail: `Runscope${suffix}@atko.com`, randomUsernameCaps: `RUNSCOPE${suffix.toUpperCase()}@ATKO.COM`,
      randomGivenName: `Given${suffix}`, randomFamilyName: `Family${suffix}`,
    });
    // The suite's first step reads an existing user: the directory has one, as an org under test would.
    const seeded = await app.inject({
      method: 'POST', url: '/scim/v2/Users', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      payload: JSON.stringify({ userName: 'existing@atko.com', name: { givenName: 'Existing', familyName: 'Person' }, emails: [{ value: 'existing@atko.com', primary: true }], active: true }),
    });
    expect(seeded.statusCode).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await warehouse?.close();
    await harness?.cleanup();
  });

  it('passes every step: 100% of its assertions', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const step of SUITE.steps) {
      if (step.step_type !== 'request') continue;
      const url = new URL(fill(step.url!));
      const headers = Object.fromEntries(Object.entries(step.headers ?? {}).map(([name, values]) => [name.toLowerCase(), fill(values.join(', '))]));
      const started = performance.now();
      const response = await app.inject({ method: step.method as 'GET', url: `${url.pathname}${url.search}`, headers, ...(step.body ? { payload: fill(step.body) } : {}) });
      const elapsedMs = performance.now() - started;
      let json: unknown;
      try {
        json = JSON.parse(response.body);
      } catch {
        json = undefined;
      }
      for (const assertion of step.assertions ?? []) {
        checked++;
        const actual = assertion.source === 'response_status' ? response.statusCode : assertion.source === 'response_time' ? elapsedMs : at(json, assertion.property ?? '');
        const expected = assertion.value === null ? null : fill(assertion.value);
        if (!holds(assertion.comparison, actual, expected)) {
          failures.push(`${step.note}: ${assertion.source}${assertion.property ? ` ${assertion.property}` : ''} ${assertion.comparison} ${expected ?? ''} — got ${JSON.stringify(actual)} (${response.statusCode} ${response.body.slice(0, 200)})`);
        }
      }
      for (const variable of step.variables ?? []) variables[variable.name] = String(at(json, variable.property));
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(50);
  });
});

/** `Resources[0].name.familyName` in a JSON value. */
function at(value: unknown, path: string): unknown {
  return path.split('.').flatMap((part) => {
    const indexed = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    return indexed ? [indexed[1]!, ...[...indexed[2]!.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]))] : [part];
  }).reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), value);
}

/** Runscope's assertion comparisons the suite uses. */
function holds(comparison: string, actual: unknown, expected: string | null): boolean {
  switch (comparison) {
    case 'equal_number': return typeof actual === 'number' || typeof actual === 'string' ? Number(actual) === Number(expected) : false;
    case 'equal': return actual !== undefined && actual !== null && String(actual) === expected;
    case 'not_empty': return actual !== undefined && actual !== null && actual !== '' && !(Array.isArray(actual) && actual.length === 0);
    case 'has_value': return Array.isArray(actual) && actual.includes(expected);
    case 'contains': return (Array.isArray(actual) || typeof actual === 'string') && actual.includes(expected as never);
    case 'is_a_number': return typeof actual === 'number';
    case 'is_less_than': return Number(actual) < Number(expected);
    default: throw new Error(`the suite uses the comparison ${comparison}, which this runner does not evaluate`);
  }
}
