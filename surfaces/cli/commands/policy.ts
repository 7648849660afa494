import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DEFAULT_POLICY_DIR, loadCaseFiles, loadPolicyBundle, parseCases, PolicyEngine, runCases, type CaseResult } from '../../../kernel/policies/index.ts';
import { join } from 'node:path';
import { policyCoverage } from '../policy-coverage.ts';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('The Cedar policy bundle that gates every privileged API call (kernel/policies/).');
  policy
    .command('test')
    .description('Validate the policies against the schema (strict mode) and run the regression suite, policies/tests/*.json; exit 1 on any regression.')
    .option('--dir <dir>', 'the policy bundle', DEFAULT_POLICY_DIR)
    .option('--verbose', 'print every case, not only failures')
    .action((options: { dir: string; verbose?: boolean }) => {
      const engine = new PolicyEngine(loadPolicyBundle(options.dir));
      const invalid = engine.validate();
      for (const problem of invalid) console.error(`schema validation: ${problem}`);
      let failed = 0;
      let total = 0;
      for (const { file, cases } of loadCaseFiles(join(options.dir, 'tests'))) {
        const results = runCases(engine, file, cases);
        const bad = results.filter((r) => r.outcome === 'FAIL');
        failed += bad.length;
        total += results.length;
        console.log(`${bad.length === 0 ? 'PASS' : 'FAIL'} ${file}: ${results.length - bad.length} of ${results.length} cases`);
        for (const result of options.verbose ? results : bad) console.log(`  ${describe(result)}`);
      }
      console.log(
        `Policy bundle ${engine.revision}: ${Object.keys(engine.bundle.policies).length} policies, ` +
          `${invalid.length === 0 ? 'valid against the schema (strict)' : `${invalid.length} validation errors`}; ${total - failed} of ${total} cases pass.`,
      );
      if (failed > 0 || invalid.length > 0 || total === 0) process.exitCode = 1;
    });

  policy
    .command('simulate')
    .description('Preflight: evaluate the cases of FILE (as policies/tests/*.json; `decision` optional) and print PASS or FAIL per case with reasons. Changes nothing.')
    .requiredOption('--input <file>', 'a JSON array of {name, request: {principal, action, resource, context}, entities, decision?, reason?}')
    .option('--dir <dir>', 'the policy bundle', DEFAULT_POLICY_DIR)
    .option('--json', 'print the results as JSON')
    .action(async (options: { input: string; dir: string; json?: boolean }) => {
      const engine = new PolicyEngine(loadPolicyBundle(options.dir));
      const cases = parseCases(await readFile(options.input, 'utf8'), options.input, { requireDecision: false });
      const results = runCases(engine, options.input, cases);
      if (options.json) console.log(JSON.stringify(results, null, 2));
      else for (const result of results) console.log(describe(result));
      if (results.some((r) => r.outcome === 'FAIL')) process.exitCode = 1;
    });

  policy
    .command('coverage')
    .description('Every API route and how the gate treats it: gated by the policy engine, privileged (receipted), or why not. Exit 1 below 100%.')
    .action(async () => {
      const { rows, privileged, gatedPrivileged, unexplained } = await policyCoverage();
      const widths = [7, Math.max(...rows.map((r) => r.url.length)), 17, 10];
      console.log(['METHOD', 'ROUTE', 'ACTION', 'RECEIPT', 'NOTE'].map((h, i) => h.padEnd(widths[i] ?? 0)).join('  '));
      for (const r of rows) {
        const note = r.public ? 'public' : r.action ? (r.privileged ? 'privileged' : 'gated read') : (r.ungated ?? (r.method === 'GET' ? 'tenant-scoped read' : 'NOT GATED'));
        console.log([r.method.padEnd(widths[0]!), r.url.padEnd(widths[1]!), (r.action ?? '–').padEnd(widths[2]!), (r.receipt ?? '–').padEnd(widths[3]!), note].join('  '));
      }
      console.log(`\nPrivileged routes gated and receipted: ${gatedPrivileged} of ${privileged} (${privileged ? Math.floor((gatedPrivileged / privileged) * 100) : 100}%).`);
      if (unexplained.length > 0) console.log(`State-changing routes neither gated nor explained: ${unexplained.map((r) => `${r.method} ${r.url}`).join(', ')}.`);
      if (gatedPrivileged < privileged || unexplained.length > 0) process.exitCode = 1;
    });
}

function describe(result: CaseResult): string {
  const reasons = result.actual.reasons.length > 0 ? result.actual.reasons.join(', ') : 'no policy permits it';
  const expected = result.outcome === 'FAIL' ? ` (expected ${result.expected.decision}${result.expected.reason ? ` by ${result.expected.reason.join(', ') || 'default deny'}` : ''})` : '';
  const errors = result.actual.errors.length > 0 ? ` errors: ${result.actual.errors.join('; ')}` : '';
  return `${result.outcome} ${result.name}: ${result.actual.decision} — ${reasons}${expected}${errors}`;
}
