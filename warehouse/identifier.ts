import { WarehouseError } from './errors.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Table and column names cannot be bound as parameters, so every name that is
 * put into SQL text is checked here first: plain identifiers only.
 */
export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new WarehouseError(`"${name}" is not a valid table or column name`);
  return name;
}
