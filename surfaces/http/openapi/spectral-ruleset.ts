import spectralCore from '@stoplight/spectral-core';
import { oas } from '@stoplight/spectral-rulesets';

const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Names of a schema's properties that are not snake_case, except those marked deprecated (old spellings accepted on input for one release). */
const snakeCaseProperties = spectralCore.createRulesetFunction<Record<string, { deprecated?: boolean } | undefined>, null>(
  { input: { type: 'object' }, options: null },
  (properties, _options, context) =>
    Object.entries(properties)
      .filter(([name, schema]) => !SNAKE_CASE.test(name) && schema?.deprecated !== true)
      .map(([name]) => ({ message: `"${name}" is not snake_case (surfaces/http/README.md: one casing for every field)`, path: [...context.path, name] })),
);

const snakeCaseName = spectralCore.createRulesetFunction<string, null>({ input: { type: 'string' }, options: null }, (name) =>
  SNAKE_CASE.test(name) ? [] : [{ message: `"${name}" is not snake_case (surfaces/http/README.md: one casing for every field and parameter)` }],
);

/**
 * Spectral's `spectral:oas` recommended rules, every one at its own severity:
 * the test allows no error and no warning. No rule is turned off. Ours on top:
 * one casing for every property and every query or path parameter.
 */
export const SPECTRAL_RULESET = {
  extends: [[oas, 'recommended']],
  rules: {
    'companyos-snake-case-properties': {
      description: 'Every property of every schema is snake_case.',
      severity: 'error',
      message: '{{error}}',
      given: '$..properties',
      then: { function: snakeCaseProperties },
    },
    'companyos-snake-case-parameters': {
      description: 'Every query and path parameter is snake_case (headers keep HTTP spelling).',
      severity: 'error',
      message: '{{error}}',
      given: "$.paths[*][*].parameters[?((@.in == 'query' || @.in == 'path') && !@.schema.deprecated)].name",
      then: { function: snakeCaseName },
    },
  },
};
