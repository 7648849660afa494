export type { WebhookConfig } from './invoices/webhook-delivery.ts';
export { loadPricing, scenarioProblems, withExcludedPacks, PricingFileError, PRICING_FILE, type Pricing, type PricingScenario } from './models/pricing-rules.ts';
export { tenantChargesSql, skuMarginsSql } from './models/economics-models.ts';
export * from './bills/index.ts';
export { simulate, simulatedBillCsv, DEFAULT_SIMULATION, FOCUS_HEADER, type Simulation, type SimulationOptions, type TrueCost } from './simulate/bill-simulator.ts';
