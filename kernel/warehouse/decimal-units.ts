/**
 * Money as the warehouse stores it, DECIMAL(38, 10), held in JS as whole units
 * of 10⁻¹⁰ (bigint) so that sums and differences stay exact.
 */
export const DECIMAL_SCALE = 10_000_000_000n;

/** A decimal string ('-12.5', '3', '0.0000000001') as units; more than 10 decimals are truncated. */
export function toUnits(value: unknown): bigint {
  const [whole = '0', fraction = ''] = String(value ?? '0').trim().split('.');
  const negative = whole.startsWith('-');
  const digits = BigInt(`${whole.replace(/^[-+]/, '') || '0'}${fraction.padEnd(10, '0').slice(0, 10)}`);
  return negative ? -digits : digits;
}

/** Units as a plain decimal string with 10 decimals ('-12.5000000000'), as the engines answer DECIMAL(38, 10). */
export function fromUnits(value: bigint): string {
  const abs = value < 0n ? -value : value;
  return `${value < 0n ? '-' : ''}${abs / DECIMAL_SCALE}.${(abs % DECIMAL_SCALE).toString().padStart(10, '0')}`;
}
