export { seedDemoFinops } from './demo-seed.ts';
export { billUploadRoutes } from './bill-upload.ts';
export { economicsRoutes } from './economics-routes.ts';
export { finopsRoutes } from './finops-routes.ts';
export { invoiceRoutes } from './invoice-routes.ts';
