import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IngestPipeline } from '../../platform/ingest/index.ts';
import { importBillFile, simulate, simulatedBillCsv } from '../../packs/finops/index.ts';
import { buildProject } from '../../platform/transforms/index.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { MODEL_GENERATORS } from '../../packs/index.ts';

export const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));
export const OPERATOR = 'summit-internal';

/**
 * A small simulated October, imported and built as the operator: 001 pro/silver,
 * 002 enterprise/gold with the FinOps add-on, 003 white-label/platinum.
 */
export async function buildSimulatedFinops(warehouse: Warehouse, targetDir: string, tenants = 3): Promise<void> {
  const simulation = simulate({ tenants, days: 5, seed: 3, start: new Date('2026-10-01T00:00:00Z'), eventLoss: 0 });
  await new IngestPipeline(warehouse).ingest(simulation.events, { channel: 'file', submitter: OPERATOR });
  const path = join(tmpdir(), `companyos-simulated-bill-${process.pid}-${Date.now()}.csv`);
  await writeFile(path, simulatedBillCsv(simulation.bill));
  await importBillFile(warehouse, path, { tenant: OPERATOR });
  await buildProject(warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir, select: ['+tag:finops'], tenant: OPERATOR, trigger: 'api' });
}
