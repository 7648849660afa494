import { migrateWarehouse, type MigrationReport, type Warehouse } from '../../kernel/warehouse/index.ts';
import { PACKS, type Pack } from '../../packs/index.ts';

/** Applies the pending warehouse migrations of the kernel and of every pack (`Pack.migrations`), in one sequence. */
export function migratePlatform(warehouse: Warehouse, packs: readonly Pack[] = PACKS): Promise<MigrationReport> {
  return migrateWarehouse(warehouse, packs.flatMap((pack) => (pack.migrations ? [pack.migrations] : [])));
}
