/** The name every CompanyOS ledger key signs under (C2SP key name). */
export const LEDGER_KEY_NAME = 'companyos-ledger';
