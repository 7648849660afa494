import { join } from 'node:path';
import { openWarehouse } from '../../../kernel/warehouse/index.ts';
import { createPlatform, type Platform } from '../../compose/index.ts';
import { warehouseConfig, type PlatformConfig } from './config.ts';
import { migratePlatform } from '../../compose/index.ts';

/**
 * The platform in this process, on the configured warehouse (no `companyos start`
 * running): the same composition, policy bundle, keys and ledger as the server,
 * so what a command does here is decided and receipted as its API call would be.
 * `close()` flushes the services, then closes the warehouse.
 */
export async function openLocalPlatform(config: PlatformConfig): Promise<Platform> {
  const warehouse = await openWarehouse(warehouseConfig(config));
  await migratePlatform(warehouse);
  const platform = await createPlatform({
    warehouse,
    state: { dataDir: config.dataDir, url: config.stateUrl },
    policy: { env: config.env, region: config.region },
    ledger: { keysDir: join(config.dataDir, 'keys') },
    recoverQueues: false,
    dedupeWindowDays: config.dedupeWindowDays,
    backupsDir: config.backupsDir,
    s3: config.s3,
  });
  return {
    ...platform,
    close: async () => {
      await platform.close();
      await warehouse.close();
    },
  };
}
