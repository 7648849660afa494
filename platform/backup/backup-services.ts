import type { KeySource, LedgerKey } from '../../kernel/ledger/index.ts';
import type { TableDefinition } from '../../kernel/warehouse/index.ts';
import type { BackupTarget } from './backup-target.ts';
import type { ShippingStatus } from './backup-shipping.ts';
import type { DuckDBSource } from './take-backup.ts';

/** What the running platform backs up, where to, and with which keys: what a DR drill works with. */
export interface BackupServices {
  target: BackupTarget;
  /** The database a drill backs up; absent when the warehouse is not the embedded DuckDB (not backed up yet). */
  source?: DuckDBSource;
  /** Signs each backup's manifest. */
  signingKey(): LedgerKey;
  /** What a restore verifies the manifest with. */
  verifierKeys: KeySource;
  /** The table registry, for a restore's replay of state changes (their keys). */
  tables: readonly TableDefinition[];
  /** Continuous backup's state when it runs (`COMPANYOS_BACKUP_SHIPPING`): a drill then restores what it shipped, as a disaster now would find it. */
  continuous?(): ShippingStatus | undefined;
  /** Where drills restore, one folder per run, destroyed after. */
  scratchDir: string;
}
