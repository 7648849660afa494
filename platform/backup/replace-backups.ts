import { backupIdTime } from './backup-ids.ts';
import type { BackupServices } from './backup-services.ts';
import { pruneBackups } from './prune-backups.ts';
import { backupNow } from './backup-source.ts';

/**
 * A backup of the database as it is now, then every older backup removed (an erasure: their
 * copies still hold what was erased). With continuous backup running, `newBase` starts its next
 * base at once (its segments follow from there); otherwise a snapshot is taken. Where nothing can
 * be backed up (no backup source), every backup is kept and none is new.
 */
export async function replaceBackups(backups: BackupServices, newBase?: () => Promise<string>): Promise<{ newBase: string | null; dropped: string[] }> {
  let base: string | null = null;
  if (newBase) base = await newBase();
  else if (backups.source) base = (await backupNow(backups.source, { target: backups.target, key: backups.signingKey() })).backupId;
  if (base === null) return { newBase: null, dropped: [] };
  const pruned = await pruneBackups(backups.target, new Date(backupIdTime(base) + 1));
  return { newBase: base, dropped: pruned.removed };
}
