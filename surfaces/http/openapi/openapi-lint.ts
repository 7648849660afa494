import { fileURLToPath } from 'node:url';
import { validate } from '@readme/openapi-parser';
import spectralCore from '@stoplight/spectral-core';
import spectralParsers from '@stoplight/spectral-parsers';
import { lintFromString, loadConfig } from '@redocly/openapi-core';
import { SPECTRAL_RULESET } from './spectral-ruleset.ts';

/** One finding of a validator or linter, where it is and how bad. */
export interface OpenApiProblem {
  tool: 'openapi-parser' | 'spectral' | 'redocly';
  severity: 'error' | 'warning' | 'info' | 'hint';
  rule: string;
  where: string;
  message: string;
}

const SPECTRAL_SEVERITY = ['error', 'warning', 'info', 'hint'] as const;

/** The document checked against the OpenAPI 3.1 schema (and the rules the schema cannot say: unique operationIds, parameters). */
export async function validateOpenApi(document: object): Promise<OpenApiProblem[]> {
  const result = await validate(structuredClone(document) as never);
  if (result.valid) return [];
  return result.errors.map((e) => ({ tool: 'openapi-parser', severity: 'error', rule: 'schema', where: '', message: e.message }));
}

/** Spectral's `spectral:oas` recommended rules and our casing rules (spectral-ruleset.ts). */
export async function spectralProblems(text: string): Promise<OpenApiProblem[]> {
  const spectral = new spectralCore.Spectral();
  spectral.setRuleset(SPECTRAL_RULESET as never);
  const results = await spectral.run(new spectralCore.Document(text, spectralParsers.Json as never, 'openapi.json'));
  return results.map((r) => ({ tool: 'spectral', severity: SPECTRAL_SEVERITY[r.severity] ?? 'error', rule: String(r.code), where: r.path.join('.'), message: r.message }));
}

/** Redocly's recommended rules, as surfaces/http/openapi/redocly.yaml sets them. */
export async function redoclyProblems(text: string): Promise<OpenApiProblem[]> {
  const config = await loadConfig({ configPath: fileURLToPath(new URL('redocly.yaml', import.meta.url)) });
  const problems = await lintFromString({ source: text, absoluteRef: '/openapi.json', config });
  return problems.map((p) => ({ tool: 'redocly', severity: p.severity === 'warn' ? 'warning' : 'error', rule: p.ruleId, where: p.location[0]?.pointer ?? '', message: p.message }));
}

/** Everything the three tools find, one line each, for a failing test or `npm run openapi:lint`. */
export async function lintOpenApi(document: object): Promise<OpenApiProblem[]> {
  const text = JSON.stringify(document, null, 2);
  return [...(await validateOpenApi(document)), ...(await spectralProblems(text)), ...(await redoclyProblems(text))];
}

export const formatProblem = (p: OpenApiProblem): string => `${p.tool} ${p.severity} ${p.rule} ${p.where}: ${p.message}`;
