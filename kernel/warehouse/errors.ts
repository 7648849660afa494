/** Any failure inside a warehouse engine, wrapped once at the adapter boundary. */
export class WarehouseError extends Error {
  override readonly name: string = 'WarehouseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The database file is held by another process (DuckDB allows one writer). */
export class WarehouseLockedError extends WarehouseError {
  override readonly name = 'WarehouseLockedError';
  constructor(readonly path: string, readonly holderPid: number | undefined, options?: { cause?: unknown }) {
    super(
      `The warehouse ${path} is in use by another process${holderPid ? ` (pid ${holderPid})` : ''}. ` +
        'Stop that process, or send the command through the running platform.',
      options,
    );
  }
}

/** A migration file failed; nothing of it was applied. */
export class MigrationError extends WarehouseError {
  override readonly name = 'MigrationError';
}
