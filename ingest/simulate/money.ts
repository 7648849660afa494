/** Money in the simulator: whole units of 10⁻¹⁰ (the warehouse's scale), as bigint, so sums are exact. */
export const SCALE = 10_000_000_000n;

/** Dollars given as a number with at most 6 decimals, in units. */
export function units(dollars: number): bigint {
  return BigInt(Math.round(dollars * 1_000_000)) * 10_000n;
}

/** Units as a plain decimal string with 10 decimals ('-12.5000000000'). */
export function decimal(value: bigint): string {
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / SCALE}.${(abs % SCALE).toString().padStart(10, '0')}`;
}

/** `value × part ÷ whole`, truncated toward zero. */
export function share(value: bigint, part: bigint, whole: bigint): bigint {
  return (value * part) / whole;
}
