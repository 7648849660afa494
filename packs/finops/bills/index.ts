export { findImportedBill, importBillFile, type BillImportOptions, type BillImportReport } from './import-bills.ts';
export { BillFile, BillFileError, type ParkedBillRow } from './bill-file.ts';
export { BILL_FORMATS, detectFormat, type BillFormat } from './bill-formats.ts';
export { FOCUS_COLUMNS, BILL_ROW_COLUMNS, CHARGE_CATEGORIES } from './focus-columns.ts';
