import { schedule as cronSchedule, validate as validCron, type ScheduledTask } from 'node-cron';
import { parse as parseYaml } from 'yaml';
import type { ModelProblem } from '../transforms/index.ts';

/** One scheduled job: a build (what to build) or a pack's job (`run`), and when (a cron expression; six fields include seconds). */
export interface ScheduleJob {
  name: string;
  cron: string;
  select: string[];
  exclude: string[];
  fullRefresh: boolean;
  /** A pack's job by name (`finops.invoices`) instead of a build. */
  run?: string;
}

/** Every 15 minutes, everything: what runs when there is no schedule file. */
export const DEFAULT_SCHEDULE: readonly ScheduleJob[] = [{ name: 'models', cron: '*/15 * * * *', select: [], exclude: [], fullRefresh: false }];

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
  constructor(readonly problems: ModelProblem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the schedule:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

/**
 * Reads a schedule file (`jobs: [{name, cron, select, exclude, full_refresh}]` for builds, `{name, cron, run}`
 * for a pack's job, one of `packJobs`), reporting every problem at once.
 */
export function parseSchedule(path: string, text: string, packJobs: readonly string[] = []): ScheduleJob[] {
  const problems: ModelProblem[] = [];
  const problem = (message: string) => problems.push({ path, message });
  let doc: { jobs?: unknown };
  try {
    doc = (parseYaml(text) ?? {}) as { jobs?: unknown };
  } catch (error) {
    throw new ScheduleError([{ path, message: `not valid YAML: ${(error as Error).message.split('\n')[0]}` }]);
  }
  if (!Array.isArray(doc.jobs) || !doc.jobs.length) throw new ScheduleError([{ path, message: 'expected `jobs:` with at least one job' }]);
  const jobs = doc.jobs.map((raw: Record<string, unknown>, i): ScheduleJob => {
    const name = typeof raw?.name === 'string' ? raw.name : `job ${i + 1}`;
    const where = `jobs[${i}] (${name})`;
    const cron = String(raw?.cron ?? '');
    if (!validCron(cron)) problem(`${where}: cron "${cron}" is not a cron expression (five fields, or six with seconds first)`);
    const list = (key: string) => {
      const value = raw?.[key];
      if (value === undefined) return [];
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
      problem(`${where}: ${key} must be a list of selectors`);
      return [];
    };
    const job: ScheduleJob = { name, cron, select: list('select'), exclude: list('exclude'), fullRefresh: raw?.full_refresh === true };
    if (raw?.run !== undefined) {
      if (typeof raw.run !== 'string' || !packJobs.includes(raw.run)) {
        problem(`${where}: run "${String(raw.run)}" is no pack's job; one of: ${packJobs.join(', ') || '(none)'}`);
      } else if (job.select.length || job.exclude.length || raw.full_refresh !== undefined) {
        problem(`${where}: a job that runs ${raw.run} builds nothing: drop select, exclude and full_refresh`);
      }
      job.run = String(raw.run);
    }
    return job;
  });
  if (new Set(jobs.map((j) => j.name)).size !== jobs.length) problem('job names must be distinct');
  if (problems.length) throw new ScheduleError(problems);
  return jobs;
}

/** What a job asks of a build: the same whether the schedule runs in `start` or in its own process. */
export function scheduledBuild(job: ScheduleJob): { select: string[]; exclude: string[]; fullRefresh: boolean; trigger: 'schedule' } {
  return { select: job.select, exclude: job.exclude, fullRefresh: job.fullRefresh, trigger: 'schedule' };
}

export interface RunningSchedule {
  /** Stops firing and waits for a build in progress to end. */
  stop(): Promise<void>;
}

/**
 * Fires each job on its cron. Builds never overlap: a job that fires while
 * any build runs is skipped and reported, not queued.
 */
export function startSchedule(
  jobs: readonly ScheduleJob[],
  build: (job: ScheduleJob) => Promise<void>,
  report: (line: string) => void,
): RunningSchedule {
  let running: Promise<void> | undefined;
  let runningJob = '';
  const fire = async (job: ScheduleJob) => {
    if (running) {
      report(`${job.name}: skipped at ${new Date().toISOString()}, ${runningJob} is still building`);
      return;
    }
    runningJob = job.name;
    running = build(job).catch((error: unknown) => report(`${job.name}: failed: ${(error as Error).message}`));
    try {
      await running;
    } finally {
      running = undefined;
    }
  };
  const tasks: ScheduledTask[] = jobs.map((job) => cronSchedule(job.cron, () => fire(job), { name: job.name, timezone: 'UTC' }));
  return {
    async stop() {
      await Promise.all(tasks.map((task) => task.destroy()));
      await running;
    },
  };
}
