export { registerBills } from './bills.ts';
export { registerInvoices } from './invoices.ts';
export { registerPricing } from './pricing.ts';
export { registerSimulate } from './simulate.ts';
export { invoicesJob, previousMonth } from './invoice-job.ts';
