export { parseSchedule, scheduledBuild, startSchedule, DEFAULT_SCHEDULE, ScheduleError, type ScheduleJob, type RunningSchedule } from './schedule.ts';
