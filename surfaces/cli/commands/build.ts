import { MODEL_GENERATORS, PACKS } from '../../../packs/index.ts';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { compileProject, DEFAULT_THREADS, MAX_THREADS, RAW_SOURCES, selectModels, type BuildReport, type ModelResult, type RunMode } from '../../../platform/transforms/index.ts';
import { DEFAULT_SCHEDULE, parseSchedule, scheduledBuild, startSchedule, type ScheduleJob } from '../../../platform/jobs/index.ts';
import { loadConfig } from '../kit/index.ts';
import { connectPlatform, type ClientBuildRequest, type PlatformClient } from '../kit/index.ts';

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

const COMMANDS: [RunMode, string][] = [
  ['build', 'Load the seeds, build the models in dependency order and test each one after it is built; downstream of a failure is skipped.'],
  ['run', 'Build the models in dependency order, without testing them.'],
  ['test', 'Run the column tests of models already built, without building anything.'],
  ['seed', 'Load the CSV seeds under the models folder into tables.'],
];

export function registerBuild(program: Command): void {
  for (const [mode, description] of COMMANDS) {
    withSelection(
      program
        .command(mode)
        .description(
          `${description} Writes target/manifest.json and run_results.json, records OpenLineage runs and the lineage graph. ` +
            'Goes through the running platform when `companyos start` is up.',
        )
        .option('--target <dir>', 'where the artifacts go', 'target')
        .option('--full-refresh', 'rebuild incremental models from scratch')
        .option('--threads <n>', `models run at once, each once its parents are built (1 to ${MAX_THREADS})`, parseThreads, DEFAULT_THREADS),
    ).action(async (options: SelectionOptions & { target: string; fullRefresh?: boolean; threads: number }) => {
      const report = await buildOnce({ ...request(options), mode, trigger: 'cli' }, true);
      if (report.results.some((r) => r.status === 'error')) process.exitCode = 1;
    });
  }

  withSelection(program.command('ls').description('List the models and seeds a selection picks, in run order.')).action(
    async (options: SelectionOptions) => {
      const project = await compileProject(resolve(options.models), RAW_SOURCES, MODEL_GENERATORS);
      for (const name of selectModels(project, options.select, options.exclude)) {
        const { config } = project.models.get(name)!;
        console.log(`${name}  ${config.materialized}${config.tags.length ? `  tags: ${config.tags.join(', ')}` : ''}`);
      }
    },
  );

  program
    .command('schedule')
    .description(
      'Run builds on a cron schedule (node-cron, UTC) until stopped: every 15 minutes by default, or the jobs of a schedule ' +
        'file. Builds never overlap (a job firing during a build is skipped and says so); every build is recorded in build_runs.',
    )
    .option('--config <file>', 'schedule file: jobs: [{name, cron, select, exclude, full_refresh}] for builds, [{name, cron, run}] for a pack\'s job (e.g. run: finops.invoices); default: schedule.yaml when present')
    .option('--models <dir>', 'models folder', 'models')
    .option('--target <dir>', 'where the artifacts go', 'target')
    .option('--once', 'run each job once now, then exit')
    .option('--history [n]', 'print the latest recorded builds instead, newest first')
    .action(async (options: { config?: string; models: string; target: string; once?: boolean; history?: string | true }) => {
      if (options.history) return printHistory(options.history === true ? 20 : Number(options.history));
      const jobs = await loadScheduleJobs(options.config);
      const buildJob = async (job: ScheduleJob) => {
        if (job.run) {
          const client = await connectPlatform(loadConfig());
          try {
            console.log(`${job.name}: ${await runPackJob(job.run, client)}`);
          } catch (error) {
            console.log(`${job.name}: failed: ${(error as Error).message}`);
            process.exitCode = 1;
          } finally {
            await client.close();
          }
          return;
        }
        const report = await buildOnce({ modelsDir: options.models, targetDir: options.target, ...scheduledBuild(job) }, false, job.name);
        if (report.results.some((r) => r.status === 'error')) process.exitCode = 1;
      };
      if (options.once) {
        for (const job of jobs) await buildJob(job);
        return;
      }
      for (const job of jobs) console.log(`${job.name}: "${job.cron}" (UTC)${job.select.length ? `, ${job.select.join(' ')}` : ''}`);
      const running = startSchedule(jobs, buildJob, (line) => console.log(line));
      await new Promise<void>((done) => {
        const stop = () => void running.stop().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

/** The jobs of `file`, of ./schedule.yaml when there is one, or every 15 minutes for everything. */
export async function loadScheduleJobs(file?: string): Promise<readonly ScheduleJob[]> {
  const path = file ?? (existsSync('schedule.yaml') ? 'schedule.yaml' : undefined);
  return path ? parseSchedule(path, await readFile(path, 'utf8'), PACKS.flatMap((pack) => pack.jobs ?? []).map((job) => job.name)) : DEFAULT_SCHEDULE;
}

/** Runs the pack job a schedule names, through `client`; answers its line. */
export function runPackJob(name: string, client: PlatformClient, now = new Date()): Promise<string> {
  const job = PACKS.flatMap((pack) => pack.jobs ?? []).find((candidate) => candidate.name === name);
  if (!job) throw new Error(`no pack has a job ${name}`);
  return job.run({ client, now });
}

function request(options: SelectionOptions & { target: string; fullRefresh?: boolean; threads: number }): Omit<ClientBuildRequest, 'trigger'> {
  return { modelsDir: options.models, targetDir: options.target, select: options.select, exclude: options.exclude, fullRefresh: options.fullRefresh, threads: options.threads };
}

function parseThreads(value: string): number {
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new InvalidArgumentError(`--threads takes a whole number from 1 to ${MAX_THREADS}, got "${value}"`);
  }
  return threads;
}

async function buildOnce(buildRequest: ClientBuildRequest, progress: boolean, label?: string): Promise<BuildReport> {
  const client = await connectPlatform(loadConfig());
  const prefix = label ? `${label}: ` : '';
  let report: BuildReport;
  try {
    console.log(`${prefix}${buildRequest.mode ?? 'build'} on ${client.description} at ${new Date().toISOString()}`);
    report = await client.build({
      ...buildRequest,
      onModel: ({ index, total, result }) => {
        if (progress && result) console.log(describe(result, index, total));
      },
    });
  } finally {
    await client.close();
  }
  if (progress && client.remote) report.results.forEach((r, i) => console.log(describe(r, i, report.results.length)));
  const count = (status: string) => report.results.filter((r) => r.status === status && !r.reused).length;
  console.log(
    `${prefix}Done in ${report.seconds.toFixed(1)}s: ${report.selected} of ${report.total} models. ` +
      `PASS=${count('success')} ERROR=${count('error')} SKIP=${count('skipped')} NO-OP=${report.results.filter((r) => r.reused).length} (run ${report.run_id})`,
  );
  for (const failure of report.lineage_failures) console.error(`${prefix}OpenLineage endpoint refused: ${failure}`);
  if (report.results.some((r) => r.model === 'finops_reconciliation' && r.status === 'success')) await printFinops(prefix);
  if (!progress) for (const r of report.results.filter((r) => r.status === 'error')) console.log(`${prefix}ERROR ${r.model}: ${r.message}`);
  return report;
}

/** After a build of the attribution models: do the books balance, how much is attributed, how accurately. */
async function printFinops(prefix: string): Promise<void> {
  const client = await connectPlatform(loadConfig());
  try {
    const summary = await client.finopsSummary();
    if (!summary.built) return;
    const exact = summary.unbalanced.length === 0;
    console.log(
      `${prefix}FinOps: ${summary.balanced} of ${summary.invoices} invoices reconcile exactly (direct + shared + unallocated = bill total)` +
        `${exact ? '' : `; NOT balanced: ${summary.unbalanced.join(', ')}`}; attribution coverage ${summary.coverage_percent ?? '-'}%`,
    );
    if (summary.accuracy) {
      console.log(
        `${prefix}FinOps: attribution accuracy ${summary.accuracy.accuracy_percent}% against simulation ${summary.accuracy.simulation_id} ` +
          `(Σ|attributed − true| = ${summary.accuracy.absolute_error} of ${summary.accuracy.true_total})`,
      );
    }
    if (!exact) process.exitCode = 1;
  } finally {
    await client.close();
  }
}

async function printHistory(limit: number): Promise<void> {
  const client = await connectPlatform(loadConfig());
  try {
    const runs = await client.buildRuns(limit);
    if (!runs.length) console.log('No builds recorded yet.');
    for (const run of runs) {
      const seconds = (Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000;
      console.log(
        `${run.started_at}  ${run.trigger.padEnd(8)} ${run.status.padEnd(7)} ok=${run.models_ok} error=${run.models_error} ` +
          `skipped=${run.models_skipped}  ${seconds.toFixed(1)}s  ${run.run_id}${run.message ? `  ${run.message}` : ''}`,
      );
    }
  } finally {
    await client.close();
  }
}

function describe(result: ModelResult, index: number, total: number): string {
  const position = `${String(index + 1).padStart(String(total).length)}/${total}`;
  const label = result.reused ? 'NO-OP' : { success: 'OK   ', error: 'ERROR', skipped: 'SKIP ' }[result.status];
  const rows = result.rows === null ? '' : `, ${result.rows} rows`;
  const tests = result.tests.length ? `, ${result.tests.filter((t) => t.status === 'pass').length}/${result.tests.length} tests pass` : '';
  const detail = result.status === 'success' ? '' : `: ${result.message}`;
  return `${position} ${label} ${result.model} (${result.message.split(':')[0]}${rows}${tests}) in ${result.seconds.toFixed(2)}s${detail}`;
}
