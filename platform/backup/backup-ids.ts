import { randomBytes } from 'node:crypto';

/** A new backup's id: its time to the millisecond, then random (`20261203T091500123Z-a1b2c3`): name order is time order. */
export function newBackupId(at: Date): string {
  return `${at.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

/** When a backup was taken, from its id (ms; +Infinity when the id has no time): the signed manifest's own time is checked once it is opened. */
export function backupIdTime(backupId: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})?Z/.exec(backupId);
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]), Number(match[7] ?? 0)) : Number.POSITIVE_INFINITY;
}
