import { DomainError } from '../../../kernel/errors/index.ts';
import { DECIMAL_SCALE, fromUnits, toUnits } from '../../../kernel/warehouse/index.ts';
import type { ApprovalRule } from '../../../platform/workflows/index.ts';

/** Why a discount is given: the taxonomy a requester and every approver choose from. */
export const DISCOUNT_REASONS = ['design-partner', 'competitive', 'uplift', 'multi-year', 'strategic', 'other'] as const;
export const DISCOUNT_RATIONALE_MIN_LENGTH = 20;

/** A band of the approval matrix: discounts up to `upToPercent` (inclusive; the last band has none) need `approval`, or none. */
export interface DiscountBand {
  readonly name: string;
  readonly upToPercent?: string;
  readonly approval?: ApprovalRule;
}

/** ≤ 10 % automatic; over 10 up to 20 % a sales lead; over 20 % finance AND the CEO. */
export const DISCOUNT_MATRIX: readonly DiscountBand[] = [
  { name: 'automatic', upToPercent: '10' },
  { name: 'sales-lead', upToPercent: '20', approval: { combine: 'all', groups: [{ role: 'sales_lead', count: 1 }] } },
  { name: 'finance-and-ceo', approval: { combine: 'all', groups: [{ role: 'finance', count: 1 }, { role: 'ceo', count: 1 }] } },
];

/** A price as sent: a decimal string, at most 10 decimals, so no float ever holds money. */
const MONEY = /^\d{1,24}(\.\d{1,10})?$/;

export function parseMoney(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !MONEY.test(value)) {
    throw new DomainError('QUOTE_INVALID', `${field} must be a decimal string such as "12000.00" (at most 10 decimals); got ${JSON.stringify(value)}.`);
  }
  return toUnits(value);
}

export interface Discount {
  /** (list − final) ÷ list × 100, exact to 10 decimals (truncated). */
  readonly percent: string;
  readonly band: DiscountBand;
}

/** The discount of `final` off `list` (units) and the band of the matrix it falls in; compared exactly, in integers. */
export function discountOf(list: bigint, final: bigint, matrix: readonly DiscountBand[] = DISCOUNT_MATRIX): Discount {
  if (list <= 0n) throw new DomainError('QUOTE_INVALID', 'list_price must be greater than zero.');
  if (final > list) throw new DomainError('QUOTE_INVALID', `final_price ${fromUnits(final)} is above list_price ${fromUnits(list)}; a quote discounts, it does not mark up.`);
  const off = list - final;
  // off / list ≤ bound / 100  ⇔  off × 100 × SCALE ≤ bound(units) × list
  const band = matrix.find((b) => b.upToPercent === undefined || off * 100n * DECIMAL_SCALE <= toUnits(b.upToPercent) * list)!;
  return { percent: fromUnits((off * 100n * DECIMAL_SCALE) / list), band };
}

export function bandNamed(name: string, matrix: readonly DiscountBand[] = DISCOUNT_MATRIX): DiscountBand {
  const band = matrix.find((b) => b.name === name);
  if (!band) throw new DomainError('WORKFLOW_PARAMS_INVALID', `"${name}" is not a discount band (${matrix.map((b) => b.name).join(', ')}).`);
  return band;
}
