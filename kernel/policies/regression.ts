import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EntityJson } from './cedar-wasm.ts';
import type { CedarRequest, Decision, PolicyEngine } from './engine.ts';

/** One case in the shape `cedar run-tests` reads. */
export interface PolicyCase {
  name: string;
  request: CedarRequest;
  entities: EntityJson[];
  /** Expected; absent in a simulation asks only "would it be allowed?". */
  decision?: 'allow' | 'deny';
  /** Policy ids expected to determine the decision; absent checks the decision only. */
  reason?: string[];
}

export interface CaseResult {
  file: string;
  name: string;
  /** PASS when the decision and its reasons are what the case expects. */
  outcome: 'PASS' | 'FAIL';
  expected: { decision: string; reason?: string[] };
  actual: Decision;
}

export class PolicyCaseError extends Error {
  override readonly name = 'PolicyCaseError';
}

/** Every case in `dir/*.json`, each file an array of cases. */
export function loadCaseFiles(dir: string): { file: string; cases: PolicyCase[] }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, cases: parseCases(readFileSync(join(dir, file), 'utf8'), file) }));
}

/** Parses and checks a case file's text; errors name the file, the case and the field. */
export function parseCases(text: string, file: string, options: { requireDecision?: boolean } = {}): PolicyCase[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PolicyCaseError(`${file}: not JSON (${(error as Error).message}).`);
  }
  const cases = Array.isArray(parsed) ? parsed : (parsed as { cases?: unknown })?.cases;
  if (!Array.isArray(cases)) throw new PolicyCaseError(`${file}: expected an array of cases, or {"cases": [...]}.`);
  return cases.map((value, index) => checkCase(value, `${basename(file)} case ${index + 1}`, options.requireDecision ?? true));
}

function checkCase(value: unknown, where: string, requireDecision: boolean): PolicyCase {
  const item = value as Partial<PolicyCase> | null;
  if (!item || typeof item !== 'object') throw new PolicyCaseError(`${where}: a case is an object.`);
  const request = item.request as Partial<CedarRequest> | undefined;
  for (const field of ['principal', 'action', 'resource'] as const) {
    if (!request?.[field]) throw new PolicyCaseError(`${where}: request.${field} is missing.`);
  }
  if ((requireDecision || item.decision !== undefined) && item.decision !== 'allow' && item.decision !== 'deny') {
    throw new PolicyCaseError(`${where}: decision must be "allow" or "deny", not ${JSON.stringify(item.decision)}.`);
  }
  if (item.reason !== undefined && !Array.isArray(item.reason)) throw new PolicyCaseError(`${where}: reason must be an array of policy ids.`);
  return {
    name: typeof item.name === 'string' ? item.name : where,
    request: { ...(request as CedarRequest), context: request?.context ?? {} },
    entities: Array.isArray(item.entities) ? item.entities : [],
    decision: item.decision,
    reason: item.reason,
  };
}

/** Runs cases against the engine. Reasons compare as sets; a case without `reason` checks only the decision. */
export function runCases(engine: PolicyEngine, file: string, cases: PolicyCase[]): CaseResult[] {
  return cases.map((policyCase) => {
    const actual = engine.evaluate(policyCase.request, policyCase.entities);
    const reason = policyCase.reason && [...policyCase.reason].sort();
    const pass = actual.decision === (policyCase.decision ?? 'allow') && (!reason || sameSet(actual.reasons, reason)) && actual.errors.length === 0;
    return { file, name: policyCase.name, outcome: pass ? 'PASS' : 'FAIL', expected: { decision: policyCase.decision ?? 'allow', reason }, actual };
  });
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
