import { fileURLToPath } from 'node:url';
import { fileGenerator } from '../../platform/transforms/index.ts';
import type { Pack } from '../pack.ts';
import { registerBills } from './cli/index.ts';
import { registerInvoices } from './cli/index.ts';
import { registerPricing } from './cli/index.ts';
import { invoicesJob, registerSimulate } from './cli/index.ts';
import { seedDemoFinops } from './http/index.ts';
import { billUploadRoutes } from './http/index.ts';
import { economicsRoutes } from './http/index.ts';
import { finopsRoutes } from './http/index.ts';
import { invoiceRoutes } from './http/index.ts';
import { allocationModels } from './index.ts';
import { ALLOCATION_FILE, parseAllocationRules } from './index.ts';
import { economicsModels } from './index.ts';
import { parsePricing, PRICING_FILE } from './index.ts';
import { FINOPS_TABLES } from './index.ts';
import { tenantDaysGenerator } from './index.ts';

export const finopsPack: Pack = {
  name: 'finops',
  description: 'Cloud bills in (FOCUS, CUR, GCP, Azure), per-tenant cost attribution that reconciles to the bill, unit economics and invoices.',
  tables: FINOPS_TABLES,
  migrations: fileURLToPath(new URL('./migrations/', import.meta.url)),
  pages: { dir: fileURLToPath(new URL('./pages/', import.meta.url)), under: 'finops/' },
  generators: [
    fileGenerator(ALLOCATION_FILE, (path, text) => {
      const { rules, problems } = parseAllocationRules(path, text);
      return { models: allocationModels(rules, path), problems };
    }),
    fileGenerator(PRICING_FILE, (path, text) => {
      const { pricing, problems } = parsePricing(path, text);
      return { models: economicsModels(pricing, path), problems };
    }),
    tenantDaysGenerator,
  ],
  routes: (app, context) => {
    finopsRoutes(app, { warehouse: context.warehouse, scope: context.scope, operatorTenant: context.operatorTenant });
    billUploadRoutes(app, { warehouse: context.warehouse, scope: context.scope, ...context.billUploads });
    economicsRoutes(app, { scope: context.scope, modelsDir: context.modelsDir });
    invoiceRoutes(app, { warehouse: context.warehouse, state: context.state, webhook: context.invoiceWebhook });
  },
  jobs: [invoicesJob],
  commands: (program) => {
    registerBills(program);
    registerSimulate(program);
    registerPricing(program);
    registerInvoices(program);
  },
  seedDemo: seedDemoFinops,
};
