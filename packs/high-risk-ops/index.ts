export { ledgerKeyRotation } from './ledger-key-rotation.ts';
