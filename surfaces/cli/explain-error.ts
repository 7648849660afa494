/** One sentence for the person at the terminal; stack traces only with COMPANYOS_DEBUG=1. */
export function explain(error: unknown): string {
  const err = error as NodeJS.ErrnoException & { path?: string };
  if (err?.code === 'ENOENT' && err.path) return `${err.path}: no such file.`;
  if (err?.code === 'EACCES' && err.path) return `${err.path}: permission denied.`;
  if (err?.code === 'EADDRINUSE') return `the port is already in use (${err.message}); set PORT to another one.`;
  if (err instanceof Error) {
    const known = ['WarehouseError', 'WarehouseLockedError', 'MigrationError', 'EventFileError', 'ConfigError', 'PlatformApiError', 'CompileError', 'DomainError', 'PricingFileError', 'BillFileError'];
    return known.includes(err.name) ? err.message : `${err.message} (set COMPANYOS_DEBUG=1 for details)`;
  }
  return String(error);
}
