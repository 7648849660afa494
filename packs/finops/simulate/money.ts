import { fromUnits } from '../../../kernel/warehouse/index.ts';

// Money in the simulator is whole units of 10⁻¹⁰ (the warehouse's scale), as bigint, so sums are exact.

/** Dollars given as a number with at most 6 decimals, in units. */
export function units(dollars: number): bigint {
  return BigInt(Math.round(dollars * 1_000_000)) * 10_000n;
}

/** Units as a plain decimal string with 10 decimals ('-12.5000000000'). */
export const decimal = fromUnits;

/** `value × part ÷ whole`, truncated toward zero. */
export function share(value: bigint, part: bigint, whole: bigint): bigint {
  return (value * part) / whole;
}
