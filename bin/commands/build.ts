import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  compileProject,
  manifest,
  PROJECT_NAME,
  RAW_SOURCES,
  runProject,
  runResults,
  selectModels,
  writeArtifacts,
  type ModelResult,
} from '../../transforms/index.ts';
import { migrateWarehouse, openWarehouse } from '../../warehouse/index.ts';
import { ConfigError, loadConfig, warehouseConfig } from '../config.ts';
import { findRunningPlatform } from '../running-platform.ts';

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
      .description('Compile the models, run them in dependency order on the warehouse, and write target/manifest.json and run_results.json.')
      .option('--target <dir>', 'where the artifacts go', 'target')
      .option('--full-refresh', 'rebuild incremental models from scratch'),
  ).action(async (options: SelectionOptions & { target: string; fullRefresh?: boolean }) => {
    const config = loadConfig();
    const project = await compileProject(resolve(options.models), RAW_SOURCES);
    const selected = selectModels(project, options.select, options.exclude);
    const running = await findRunningPlatform(config.dataDir);
    if (running && config.engine === 'duckdb') {
      throw new ConfigError(`The platform at ${running} owns the DuckDB warehouse; stop it to build (building through the API comes next).`);
    }
    const warehouse = await openWarehouse(warehouseConfig(config));
    const started = new Date();
    let results: ModelResult[];
    try {
      await migrateWarehouse(warehouse);
      console.log(`Running ${selected.length} of ${project.models.size} models on ${warehouse.location}`);
      results = await runProject(warehouse, project, {
        models: selected,
        fullRefresh: options.fullRefresh,
        onModel: ({ model, index, total, result }) => {
          const kind = project.models.get(model)!.config.materialized;
          const position = `${String(index + 1).padStart(String(total).length)}/${total}`;
          if (!result) return;
          const label = { success: 'OK   ', error: 'ERROR', skipped: 'SKIP ' }[result.status];
          const rows = result.rows === null ? '' : `, ${result.rows} rows`;
          console.log(`${position} ${label} ${model} (${kind}${rows}) in ${result.seconds.toFixed(2)}s${result.status === 'success' ? '' : `: ${result.message}`}`);
        },
      });
    } finally {
      await warehouse.close();
    }
    const elapsed = (Date.now() - started.getTime()) / 1000;
    await writeArtifacts(resolve(options.target), {
      manifest: manifest(project, PROJECT_NAME, RAW_SOURCES, started),
      runResults: runResults(results, PROJECT_NAME, started, elapsed),
    });
    const count = (status: string) => results.filter((r) => r.status === status).length;
    console.log(`Done in ${elapsed.toFixed(1)}s. PASS=${count('success')} ERROR=${count('error')} SKIP=${count('skipped')}; artifacts in ${options.target}/`);
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
