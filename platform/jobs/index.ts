export { parseSchedule, scheduledBuild, startSchedule, DEFAULT_SCHEDULE, ScheduleError, type ScheduleJob, type RunningSchedule } from './schedule.ts';
export { JobLeases, LeaseLostError, type ExclusiveRun, type HeldLease } from './job-leases.ts';
export { JOB_LEASES_TABLE } from './job-leases-table.ts';
