export { TENANT_ZERO } from './tenant-zero.ts';
