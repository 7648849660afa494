import { resolve } from 'node:path';
import type { Command } from 'commander';
import { compileProject, RAW_SOURCES, selectModels, type BuildReport, type ModelResult } from '../../transforms/index.ts';
import { loadConfig } from '../config.ts';
import { connectPlatform } from '../platform-client.ts';

interface SelectionOptions {
  select: string[];
  exclude: string[];
  models: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function withSelection(command: Command): Command {
  return command
    .option('-s, --select <selector>', 'model, model+, +model or tag:x (repeatable)', collect, [])
    .option('--exclude <selector>', 'leave these out (repeatable)', collect, [])
    .option('--models <dir>', 'models folder', 'models');
}

export function registerBuild(program: Command): void {
  withSelection(
    program
      .command('build')
      .description(
        'Compile the models, run them in dependency order on the warehouse, and write target/manifest.json and ' +
          'run_results.json. Goes through the running platform when `companyos start` is up.',
      )
      .option('--target <dir>', 'where the artifacts go', 'target')
      .option('--full-refresh', 'rebuild incremental models from scratch'),
  ).action(async (options: SelectionOptions & { target: string; fullRefresh?: boolean }) => {
    const client = await connectPlatform(loadConfig());
    let report: BuildReport;
    try {
      console.log(`Building on ${client.description}`);
      report = await client.build({
        modelsDir: options.models,
        targetDir: options.target,
        select: options.select,
        exclude: options.exclude,
        fullRefresh: options.fullRefresh,
        onModel: ({ index, total, result }) => result && console.log(describe(result, index, total)),
      });
    } finally {
      await client.close();
    }
    // Through the API the results come back together, at the end.
    if (client.description.startsWith('the running platform')) report.results.forEach((r, i) => console.log(describe(r, i, report.results.length)));
    const count = (status: string) => report.results.filter((r) => r.status === status).length;
    console.log(
      `Done in ${report.seconds.toFixed(1)}s: ${report.selected} of ${report.total} models. ` +
        `PASS=${count('success')} ERROR=${count('error')} SKIP=${count('skipped')}`,
    );
    if (count('error')) process.exitCode = 1;
  });

  withSelection(program.command('ls').description('List the models a selection picks, in run order.')).action(
    async (options: SelectionOptions) => {
      const project = await compileProject(resolve(options.models), RAW_SOURCES);
      for (const name of selectModels(project, options.select, options.exclude)) {
        const { config } = project.models.get(name)!;
        console.log(`${name}  ${config.materialized}${config.tags.length ? `  tags: ${config.tags.join(', ')}` : ''}`);
      }
    },
  );
}

function describe(result: ModelResult, index: number, total: number): string {
  const position = `${String(index + 1).padStart(String(total).length)}/${total}`;
  const label = { success: 'OK   ', error: 'ERROR', skipped: 'SKIP ' }[result.status];
  const rows = result.rows === null ? '' : `, ${result.rows} rows`;
  const tests = result.tests.length ? `, ${result.tests.filter((t) => t.status === 'pass').length}/${result.tests.length} tests pass` : '';
  const detail = result.status === 'success' ? '' : `: ${result.message}`;
  return `${position} ${label} ${result.model} (${result.message.split(':')[0]}${rows}${tests}) in ${result.seconds.toFixed(2)}s${detail}`;
}
