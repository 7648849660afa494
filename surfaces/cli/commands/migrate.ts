import type { Command } from 'commander';
import { openWarehouse } from '../../../kernel/warehouse/index.ts';
import { loadConfig, warehouseConfig } from '../kit/index.ts';
import { findRunningPlatform } from '../kit/index.ts';
import { migratePlatform } from '../../compose/index.ts';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending warehouse migrations, the kernel\'s and every pack\'s (idempotent: a second run applies nothing).')
    .action(async () => {
      const config = loadConfig();
      const running = await findRunningPlatform(config.dataDir);
      if (running) {
        console.log(`The platform at ${running} migrated the warehouse when it started; nothing to do.`);
        return;
      }
      const warehouse = await openWarehouse(warehouseConfig(config));
      try {
        const report = await migratePlatform(warehouse);
        for (const m of report.applied) console.log(`applied ${String(m.version).padStart(4, '0')}_${m.name}`);
        console.log(
          `${warehouse.engine} warehouse at ${warehouse.location}: ${report.applied.length} applied, ${report.alreadyApplied} already applied.`,
        );
      } finally {
        await warehouse.close();
      }
    });
}
