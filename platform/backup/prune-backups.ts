import { backupIdTime } from './backup-ids.ts';
import { MANIFEST_OBJECT } from './backup-manifest.ts';
import type { BackupTarget } from './backup-target.ts';

export interface PruneReport {
  /** Backups removed, oldest first. */
  removed: string[];
  objects: number;
}

/**
 * Removes what a restore to any time after `cutoff` no longer needs: a complete backup whose next
 * complete backup was taken before the cutoff (everything it and its shipped changes hold is
 * older), and an incomplete one (killed before its manifest) older than the cutoff and than the
 * newest complete backup. The newest complete backup is always kept. A backup's manifest goes
 * first, so one removed half-way is incomplete and never restored from.
 */
export async function pruneBackups(target: BackupTarget, cutoff: Date): Promise<PruneReport> {
  const byBackup = new Map<string, string[]>();
  for (const name of await target.list('backups')) {
    const id = name.split('/')[1]!;
    if (!byBackup.has(id)) byBackup.set(id, []);
    byBackup.get(id)!.push(name);
  }
  const ids = [...byBackup.keys()].sort();
  const complete = ids.filter((id) => byBackup.get(id)!.includes(`backups/${id}/${MANIFEST_OBJECT}`));
  const newest = complete.at(-1);
  const doomed = ids.filter((id) => {
    if (id === newest || newest === undefined) return false;
    const index = complete.indexOf(id);
    if (index >= 0) return backupIdTime(complete[index + 1]!) < cutoff.getTime();
    return id < newest && backupIdTime(id) < cutoff.getTime();
  });
  const report: PruneReport = { removed: [], objects: 0 };
  for (const id of doomed) {
    const names = byBackup.get(id)!;
    const manifest = `backups/${id}/${MANIFEST_OBJECT}`;
    for (const name of [...names.filter((n) => n === manifest), ...names.filter((n) => n !== manifest)]) {
      await target.delete(name);
      report.objects++;
    }
    report.removed.push(id);
  }
  return report;
}
