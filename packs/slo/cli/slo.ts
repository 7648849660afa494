import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadSlos } from '../index.ts';
import { prometheusRules } from '../index.ts';

export function registerSlo(program: Command): void {
  const slo = program.command('slo').description('The platform\'s own SLOs, declared in OpenSLO v1 YAML (deploy/slo/*.yaml).');
  slo
    .command('alerts')
    .description(
      'Prometheus alerting rules from the SLOs: error-ratio recording rules per window on the /metrics series, and multiwindow ' +
        'burn-rate alerts (page: 14.4× over 1h and 5m, 6× over 6h and 30m; ticket: 3× over 1d and 2h, 1× over 3d and 6h).',
    )
    .option('--dir <dir>', 'the OpenSLO files', 'deploy/slo')
    .option('--out <file>', 'write the rules here instead of printing them')
    .addHelpText('after', '\nCheck them with: companyos slo alerts --out slo-rules.yaml && promtool check rules slo-rules.yaml')
    .action(async (options: { dir: string; out?: string }) => {
      const slos = await loadSlos(options.dir);
      const rules = prometheusRules(slos);
      if (!options.out) return void process.stdout.write(rules);
      await writeFile(options.out, rules);
      console.log(`Wrote alerting rules for ${slos.length} SLOs (${slos.map((s) => s.name).join(', ')}) to ${options.out}.`);
    });
}
