import { fileGenerator } from '../../platform/transforms/index.ts';
import type { Pack } from '../pack.ts';
import { registerBills } from './cli/bills.ts';
import { registerInvoices } from './cli/invoices.ts';
import { registerPricing } from './cli/pricing.ts';
import { registerSimulate } from './cli/simulate.ts';
import { seedDemoFinops } from './http/demo-seed.ts';
import { billUploadRoutes } from './http/bill-upload.ts';
import { economicsRoutes } from './http/economics-routes.ts';
import { finopsRoutes } from './http/finops-routes.ts';
import { invoiceRoutes } from './http/invoice-routes.ts';
import { allocationModels } from './models/allocation-models.ts';
import { ALLOCATION_FILE, parseAllocationRules } from './models/allocation-rules.ts';
import { economicsModels } from './models/economics-models.ts';
import { parsePricing, PRICING_FILE } from './models/pricing-rules.ts';

export const finopsPack: Pack = {
  name: 'finops',
  description: 'Cloud bills in (FOCUS, CUR, GCP, Azure), per-tenant cost attribution that reconciles to the bill, unit economics and invoices.',
  generators: [
    fileGenerator(ALLOCATION_FILE, (path, text) => {
      const { rules, problems } = parseAllocationRules(path, text);
      return { models: allocationModels(rules, path), problems };
    }),
    fileGenerator(PRICING_FILE, (path, text) => {
      const { pricing, problems } = parsePricing(path, text);
      return { models: economicsModels(pricing, path), problems };
    }),
  ],
  routes: (app, context) => {
    finopsRoutes(app, { warehouse: context.warehouse, operatorTenant: context.operatorTenant });
    billUploadRoutes(app, { warehouse: context.warehouse, ...context.billUploads });
    economicsRoutes(app, { warehouse: context.warehouse, modelsDir: context.modelsDir });
    invoiceRoutes(app, { warehouse: context.warehouse, webhook: context.invoiceWebhook });
  },
  commands: (program) => {
    registerBills(program);
    registerSimulate(program);
    registerPricing(program);
    registerInvoices(program);
  },
  seedDemo: seedDemoFinops,
};
