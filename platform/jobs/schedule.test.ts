import { describe, expect, it, onTestFinished } from 'vitest';
import { waitFor } from '../../test/support/wait-for.ts';
import { parseSchedule, ScheduleError, startSchedule, type ScheduleJob } from './schedule.ts';

describe('schedule', () => {
  it('reads jobs and reports every problem at once', () => {
    expect(parseSchedule('schedule.yaml', 'jobs:\n  - { name: meters, cron: "*/5 * * * *", select: [+tag:meters], full_refresh: true }\n')).toEqual([
      { name: 'meters', cron: '*/5 * * * *', select: ['+tag:meters'], exclude: [], fullRefresh: true },
    ]);
    const error = (() => {
      try {
        parseSchedule('schedule.yaml', 'jobs:\n  - { name: a, cron: "every hour" }\n  - { name: a, cron: "0 * * * *", select: tag:x }\n');
      } catch (e) {
        return e as ScheduleError;
      }
    })();
    expect(error).toBeInstanceOf(ScheduleError);
    expect(error!.problems.map((p) => p.message)).toEqual([
      'jobs[0] (a): cron "every hour" is not a cron expression (five fields, or six with seconds first)',
      'jobs[1] (a): select must be a list of selectors',
      'job names must be distinct',
    ]);
    expect(() => parseSchedule('schedule.yaml', 'jobs: []')).toThrow('expected `jobs:` with at least one job');
  });

  it('reads a pack\'s job by name, and refuses an unknown one or one given build options', () => {
    const jobs = ['finops.invoices'];
    expect(parseSchedule('schedule.yaml', 'jobs:\n  - { name: invoicing, cron: "0 6 1 * *", run: finops.invoices }\n', jobs)).toEqual([
      { name: 'invoicing', cron: '0 6 1 * *', select: [], exclude: [], fullRefresh: false, run: 'finops.invoices' },
    ]);
    const problems = (() => {
      try {
        parseSchedule('schedule.yaml', 'jobs:\n  - { name: a, cron: "0 6 1 * *", run: finops.payroll }\n  - { name: b, cron: "0 6 1 * *", run: finops.invoices, select: [x] }\n', jobs);
      } catch (e) {
        return (e as ScheduleError).problems.map((p) => p.message);
      }
      return [];
    })();
    expect(problems).toEqual([
      'jobs[0] (a): run "finops.payroll" is no pack\'s job; one of: finops.invoices',
      'jobs[1] (b): a job that runs finops.invoices builds nothing: drop select, exclude and full_refresh',
    ]);
  });

  it('fires on the cron, never runs two builds at once, and says when it skips one', { timeout: 15_000 }, async () => {
    const every = (name: string): ScheduleJob => ({ name, cron: '* * * * * *', select: [], exclude: [], fullRefresh: false });
    let running = 0;
    let most = 0;
    const builds: string[] = [];
    const reports: string[] = [];
    const schedule = startSchedule(
      [every('slow'), every('other')],
      async (job) => {
        most = Math.max(most, ++running);
        await new Promise((done) => setTimeout(done, 1500));
        builds.push(job.name);
        running--;
      },
      (line) => reports.push(line),
    );
    onTestFinished(() => schedule.stop());
    await new Promise((done) => setTimeout(done, 4200));
    await waitFor(() => builds.length >= 2 && reports.some((line) => /: skipped at /.test(line)), 'two builds and a skipped tick', 8_000);
    await schedule.stop();
    expect(most).toBe(1);
    expect(builds.length).toBeGreaterThanOrEqual(2);
    expect(reports.some((line) => /: skipped at .*, (slow|other) is still building/.test(line))).toBe(true);
    const after = builds.length;
    await new Promise((done) => setTimeout(done, 1500));
    expect(builds.length).toBe(after);
  });
});
