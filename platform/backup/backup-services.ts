import type { KeySource, LedgerKey } from '../../kernel/ledger/index.ts';
import type { TableDefinition, Warehouse } from '../../kernel/warehouse/index.ts';
import type { BackupTarget } from './backup-target.ts';
import type { ShippingStatus } from './backup-shipping.ts';
import type { BackupSource } from './backup-source.ts';

/** What the running platform backs up, where to, and with which keys: what a DR drill works with. */
export interface BackupServices {
  target: BackupTarget;
  /** What a drill or an erasure backs up; absent where the stores cannot be backed up (a warehouse's server whose files are elsewhere is found out at backup). */
  source?: BackupSource;
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
  /** Builds the models again on a restored warehouse (`rebuildModels`), as a real restore does; counted in the drill's RTO. */
  rebuild?(warehouse: Warehouse, dataDir: string): Promise<string>;
}
