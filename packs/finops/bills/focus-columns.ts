/**
 * How a FOCUS column is read: text, an upper-case code (currencies), one of the
 * ChargeCategory values, a decimal (DECIMAL(38, 10)), a UTC timestamp, or a JSON object of tags.
 */
export type FocusKind = 'text' | 'code' | 'category' | 'decimal' | 'timestamp' | 'tags';

export interface FocusColumn {
  /** The FOCUS column name (1.0–1.3). */
  focus: string;
  /** The bill_rows column it lands in. */
  column: string;
  kind: FocusKind;
}

const column = (focus: string, name: string, kind: FocusKind = 'text'): FocusColumn => ({ focus, column: name, kind });

/**
 * The FOCUS columns bill_rows keeps, in table order. Columns a file lacks are
 * NULL; `x_` columns and any others are kept in `extra` as JSON.
 */
export const FOCUS_COLUMNS: readonly FocusColumn[] = [
  column('ProviderName', 'provider'),
  column('BillingAccountId', 'billing_account_id'),
  column('BillingAccountName', 'billing_account_name'),
  column('SubAccountId', 'sub_account_id'),
  column('SubAccountName', 'sub_account_name'),
  column('InvoiceId', 'invoice_id'),
  column('InvoiceIssuerName', 'invoice_issuer'),
  column('BillingCurrency', 'billing_currency', 'code'),
  column('BillingPeriodStart', 'billing_period_start', 'timestamp'),
  column('BillingPeriodEnd', 'billing_period_end', 'timestamp'),
  column('ChargePeriodStart', 'charge_period_start', 'timestamp'),
  column('ChargePeriodEnd', 'charge_period_end', 'timestamp'),
  column('ChargeCategory', 'charge_category', 'category'),
  column('ChargeClass', 'charge_class'),
  column('ChargeFrequency', 'charge_frequency'),
  column('ChargeDescription', 'charge_description'),
  column('PricingCategory', 'pricing_category'),
  column('BilledCost', 'billed_cost', 'decimal'),
  column('EffectiveCost', 'effective_cost', 'decimal'),
  column('ListCost', 'list_cost', 'decimal'),
  column('ContractedCost', 'contracted_cost', 'decimal'),
  column('PricingQuantity', 'pricing_quantity', 'decimal'),
  column('PricingUnit', 'pricing_unit'),
  column('ConsumedQuantity', 'consumed_quantity', 'decimal'),
  column('ConsumedUnit', 'consumed_unit'),
  column('CommitmentDiscountId', 'commitment_discount_id'),
  column('CommitmentDiscountStatus', 'commitment_discount_status'),
  column('CommitmentDiscountType', 'commitment_discount_type'),
  column('CommitmentDiscountCategory', 'commitment_discount_category'),
  column('ResourceId', 'resource_id'),
  column('ResourceName', 'resource_name'),
  column('ResourceType', 'resource_type'),
  column('ServiceName', 'service_name'),
  column('ServiceCategory', 'service_category'),
  column('RegionId', 'region_id'),
  column('SkuId', 'sku_id'),
  column('SkuPriceId', 'sku_price_id'),
  column('Tags', 'tags', 'tags'),
];

/** FOCUS 1.3 renamed the provider columns; the newer name wins when both are present. */
export const FOCUS_ALIASES: Readonly<Record<string, readonly string[]>> = {
  ProviderName: ['ServiceProviderName', 'ProviderName', 'PublisherName'],
};

/** The ChargeCategory values FOCUS allows, in their canonical spelling. */
export const CHARGE_CATEGORIES = ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment'] as const;

export const BILL_ROW_COLUMNS = ['tenant_id', 'batch_id', 'line', ...FOCUS_COLUMNS.map((c) => c.column), 'extra'] as const;

export const PARKED_COLUMNS = ['tenant_id', 'batch_id', 'file_name', 'line', 'column_name', 'reason_code', 'reason_text', 'raw'] as const;

export const BATCH_COLUMNS = [
  'tenant_id', 'batch_id', 'file_name', 'checksum', 'format', 'rows_read', 'rows_loaded', 'rows_parked', 'imported_at',
] as const;
