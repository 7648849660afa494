import { FOCUS_ALIASES, FOCUS_COLUMNS } from './focus-columns.ts';
import { plainNumber } from './bill-sql.ts';
import { literal, type RawColumns } from './raw-columns.ts';

export const BILL_FORMATS = ['focus', 'aws-cur', 'gcp', 'azure'] as const;
export type BillFormat = (typeof BILL_FORMATS)[number];

/**
 * A format's mapping onto FOCUS: a DuckDB SQL text expression per FOCUS column
 * over the file's raw (all text) columns. Missing entries are NULL.
 */
export interface FocusMapping {
  expressions: Record<string, string>;
  /** Notes on what the file lacked and what was used instead, reported with the batch. */
  notes: string[];
}

/** The format a header says the file is, or undefined when it is none of them. */
export function detectFormat(columns: RawColumns): BillFormat | undefined {
  if (columns.has('BilledCost') || columns.has('EffectiveCost')) return 'focus';
  if (columns.has('line_item_unblended_cost')) return 'aws-cur';
  if (columns.has('cost_type') || columns.has('service.description')) return 'gcp';
  if (columns.has('CostInBillingCurrency') || (columns.has('ChargeType') && columns.has('MeterCategory'))) return 'azure';
  return undefined;
}

export function focusMapping(format: BillFormat, columns: RawColumns): FocusMapping {
  switch (format) {
    case 'focus':
      return fromFocus(columns);
    case 'aws-cur':
      return fromAwsCur(columns);
    case 'gcp':
      return fromGcp(columns);
    case 'azure':
      return fromAzure(columns);
  }
}

/** What a mapping needs the file to have, so that a file of another kind is refused as a whole. */
export const REQUIRED_SOURCE_COLUMNS: Record<BillFormat, string[][]> = {
  focus: [['BilledCost', 'EffectiveCost'], ['ChargePeriodStart', 'BillingPeriodStart']],
  'aws-cur': [['line_item_unblended_cost'], ['line_item_usage_start_date', 'bill_billing_period_start_date']],
  gcp: [['cost'], ['usage_start_time']],
  azure: [['CostInBillingCurrency', 'Cost', 'PreTaxCost'], ['Date', 'UsageDate']],
};

function fromFocus(columns: RawColumns): FocusMapping {
  const expressions: Record<string, string> = {};
  const notes: string[] = [];
  for (const { focus } of FOCUS_COLUMNS) expressions[focus] = columns.first(...(FOCUS_ALIASES[focus] ?? [focus]));
  if (!columns.has('EffectiveCost')) {
    expressions.EffectiveCost = expressions.BilledCost!;
    notes.push('no EffectiveCost column: BilledCost is used as the allocation basis');
  }
  if (!columns.has('BilledCost')) {
    expressions.BilledCost = expressions.EffectiveCost!;
    notes.push('no BilledCost column: EffectiveCost is used for invoice totals');
  }
  if (!columns.has('ChargePeriodStart')) {
    expressions.ChargePeriodStart = expressions.BillingPeriodStart!;
    expressions.ChargePeriodEnd = expressions.BillingPeriodEnd!;
    notes.push('no ChargePeriodStart column: charges are dated by their billing period');
  }
  if (!columns.has('ChargeCategory')) {
    expressions.ChargeCategory = literal('Usage');
    notes.push('no ChargeCategory column: every row is taken as Usage');
  }
  return { expressions, notes };
}

/** AWS CUR 2.0 (Data Exports, snake_case columns). */
function fromAwsCur(c: RawColumns): FocusMapping {
  const type = c.text('line_item_line_item_type');
  const unblended = c.text('line_item_unblended_cost');
  return {
    expressions: {
      ProviderName: literal('AWS'),
      BillingAccountId: c.first('bill_payer_account_id'),
      BillingAccountName: c.first('bill_payer_account_name'),
      SubAccountId: c.first('line_item_usage_account_id'),
      SubAccountName: c.first('line_item_usage_account_name'),
      InvoiceId: c.first('bill_invoice_id'),
      InvoiceIssuerName: c.first('bill_invoicing_entity'),
      BillingCurrency: c.first('line_item_currency_code'),
      BillingPeriodStart: c.first('bill_billing_period_start_date'),
      BillingPeriodEnd: c.first('bill_billing_period_end_date'),
      ChargePeriodStart: c.first('line_item_usage_start_date', 'bill_billing_period_start_date'),
      ChargePeriodEnd: c.first('line_item_usage_end_date', 'bill_billing_period_end_date'),
      // Compared in lower case (exports differ); every *Discount is a credit; a row without a type is usage.
      ChargeCategory: `CASE
        WHEN coalesce(trim(${type}), '') = '' THEN 'Usage'
        WHEN lower(${type}) IN ('tax') THEN 'Tax'
        WHEN lower(${type}) IN ('credit', 'refund') OR ends_with(lower(${type}), 'discount') THEN 'Credit'
        WHEN lower(${type}) IN ('rifee', 'fee', 'savingsplanrecurringfee', 'savingsplanupfrontfee') THEN 'Purchase'
        WHEN lower(${type}) IN ('usage', 'discountedusage', 'savingsplancoveredusage', 'savingsplannegation') THEN 'Usage'
        ELSE 'Adjustment' END`,
      ChargeFrequency: `CASE lower(${type}) WHEN 'savingsplanupfrontfee' THEN 'One-Time' WHEN 'rifee' THEN 'Recurring' WHEN 'savingsplanrecurringfee' THEN 'Recurring' ELSE 'Usage-Based' END`,
      ChargeDescription: c.first('line_item_line_item_description'),
      PricingCategory: `CASE ${type} WHEN 'DiscountedUsage' THEN 'Committed' WHEN 'SavingsPlanCoveredUsage' THEN 'Committed' ELSE 'Standard' END`,
      BilledCost: unblended,
      // Amortized: covered usage at its commitment rate, the commitment's fees and negations left out.
      EffectiveCost: `CASE ${type}
        WHEN 'SavingsPlanCoveredUsage' THEN coalesce(${c.text('savings_plan_savings_plan_effective_cost')}, ${unblended})
        WHEN 'DiscountedUsage' THEN coalesce(${c.text('reservation_effective_cost')}, ${unblended})
        WHEN 'SavingsPlanNegation' THEN '0'
        WHEN 'SavingsPlanUpfrontFee' THEN '0'
        WHEN 'SavingsPlanRecurringFee' THEN coalesce(CAST(TRY_CAST(${c.text('savings_plan_total_commitment_to_date')} AS DECIMAL(38, 10))
          - TRY_CAST(${c.text('savings_plan_used_commitment')} AS DECIMAL(38, 10)) AS VARCHAR), ${unblended})
        ELSE ${unblended} END`,
      ListCost: c.first('pricing_public_on_demand_cost'),
      PricingQuantity: c.first('pricing_quantity', 'line_item_usage_amount'),
      PricingUnit: c.first('pricing_unit'),
      ConsumedQuantity: c.first('line_item_usage_amount'),
      ConsumedUnit: c.first('pricing_unit'),
      CommitmentDiscountId: `coalesce(${c.text('savings_plan_savings_plan_a_r_n')}, ${c.text('reservation_reservation_a_r_n')})`,
      ResourceId: c.first('line_item_resource_id'),
      ServiceName: c.first('product_servicecode', 'line_item_product_code'),
      ServiceCategory: c.first('product_product_family'),
      RegionId: c.first('product_region_code', 'product_region'),
      SkuId: c.first('product_sku'),
      // CUR 2.0 prefixes user tags with `user_`; the tag key is what follows. Keys only: a value stays as it is.
      Tags: curTags(c.text('resource_tags')),
    },
    notes: [],
  };
}

/** The GCP billing export (BigQuery standard export, flattened with dotted names as `bq extract` writes CSV). */
function fromGcp(c: RawColumns): FocusMapping {
  const credits = c.text('credits');
  const amounts = `json_extract_string(${credits}, '$[*].amount')`;
  const decimal = (text: string) => `TRY_CAST(${plainNumber(text)} AS DECIMAL(38, 10))`;
  // No credits, or a list of them each with an amount that reads as a decimal.
  const creditsReadable = `(coalesce(trim(${credits}), '') IN ('', '[]') OR (CASE WHEN json_valid(${credits}) THEN json_type(${credits}::JSON) = 'ARRAY'
    AND len(${amounts}) = json_array_length(${credits}::JSON)
    AND coalesce(list_bool_and(list_transform(${amounts}, a -> ${decimal('a')} IS NOT NULL)), true) ELSE false END))`;
  const creditSum = `(SELECT coalesce(sum(${decimal('amount')}), 0) FROM unnest(CASE WHEN json_valid(${credits}) THEN ${amounts} ELSE [] END) AS t(amount))`;
  const cost = c.text('cost');
  // An unreadable cost stays as it was, so that it is parked as unreadable rather than netted to NULL; credits that
  // cannot be read make the cost unreadable, so that the row is parked rather than billed without them.
  const netCost = !c.has('credits') ? cost : `CASE WHEN ${creditsReadable} THEN coalesce(CAST(${decimal(cost)} + ${creditSum} AS VARCHAR), ${cost})
    ELSE ${cost} || ' less credits that are not a list of decimal amounts: ' || ${credits} END`;
  const month = c.text('invoice.month');
  const periodStart = `strftime(try_strptime(${month}, '%Y%m'), '%Y-%m-%dT00:00:00Z')`;
  return {
    expressions: {
      ProviderName: literal('Google Cloud'),
      BillingAccountId: c.first('billing_account_id'),
      SubAccountId: c.first('project.id'),
      SubAccountName: c.first('project.name'),
      InvoiceIssuerName: literal('Google'),
      BillingCurrency: c.first('currency'),
      BillingPeriodStart: periodStart,
      BillingPeriodEnd: `strftime(try_strptime(${month}, '%Y%m') + INTERVAL 1 MONTH, '%Y-%m-%dT00:00:00Z')`,
      ChargePeriodStart: c.first('usage_start_time'),
      ChargePeriodEnd: c.first('usage_end_time'),
      ChargeCategory: `CASE lower(${c.text('cost_type')}) WHEN 'tax' THEN 'Tax' WHEN 'adjustment' THEN 'Adjustment' WHEN 'rounding_error' THEN 'Adjustment' ELSE 'Usage' END`,
      ChargeClass: `CASE WHEN ${c.text('adjustment_info.type')} IS NOT NULL THEN 'Correction' END`,
      ChargeDescription: c.first('sku.description'),
      // Credits (CUDs, sustained use, promotions) are net of the cost, as GCP's own FOCUS view does.
      BilledCost: netCost,
      EffectiveCost: netCost,
      ListCost: c.first('cost_at_list'),
      PricingQuantity: c.first('usage.amount_in_pricing_units'),
      PricingUnit: c.first('usage.pricing_unit'),
      ConsumedQuantity: c.first('usage.amount'),
      ConsumedUnit: c.first('usage.unit'),
      ResourceId: c.first('resource.global_name', 'resource.name'),
      ResourceName: c.first('resource.name'),
      ServiceName: c.first('service.description'),
      RegionId: c.first('location.region', 'location.location'),
      SkuId: c.first('sku.id'),
      // labels are [{key, value}]; FOCUS Tags are an object.
      // Written as object text, not a map, so that a key given twice is kept twice (the Tags reading numbers repeats).
      Tags: !c.has('labels') ? 'NULL' : `CASE WHEN (CASE WHEN json_valid(${c.text('labels')}) THEN json_type(${c.text('labels')}::JSON) = 'ARRAY' ELSE false END) THEN '{' || array_to_string(list_transform(
        json_extract(${c.text('labels')}, '$[*]'), l -> to_json(coalesce(json_extract_string(l, '$.key'), '')) || ':' || to_json(json_extract_string(l, '$.value'))), ',') || '}'
        ELSE ${c.text('labels')} END`,
    },
    notes: ['GCP credits are netted into BilledCost and EffectiveCost; committed-use amortization is not in the standard export'],
  };
}

/** The Azure cost details export (actual cost; an amortized export maps the same way). */
function fromAzure(c: RawColumns): FocusMapping {
  const chargeType = c.text('ChargeType');
  const cost = c.first('CostInBillingCurrency', 'Cost', 'PreTaxCost');
  const date = c.first('Date', 'UsageDate');
  const tags = c.text('Tags');
  return {
    expressions: {
      ProviderName: literal('Microsoft'),
      BillingAccountId: c.first('BillingAccountId'),
      BillingAccountName: c.first('BillingAccountName'),
      SubAccountId: c.first('SubscriptionId'),
      SubAccountName: c.first('SubscriptionName'),
      InvoiceId: c.first('InvoiceId'),
      InvoiceIssuerName: c.first('InvoiceSectionName', 'PublisherName'),
      BillingCurrency: c.first('BillingCurrencyCode', 'BillingCurrency'),
      BillingPeriodStart: c.first('BillingPeriodStartDate'),
      // Azure's end dates are inclusive; FOCUS ends are exclusive.
      BillingPeriodEnd: `strftime(${dateOf(c.text('BillingPeriodEndDate'))} + INTERVAL 1 DAY, '%Y-%m-%dT00:00:00Z')`,
      ChargePeriodStart: date,
      ChargePeriodEnd: `strftime(${dateOf(date)} + INTERVAL 1 DAY, '%Y-%m-%dT00:00:00Z')`,
      ChargeCategory: `CASE ${chargeType} WHEN 'Purchase' THEN 'Purchase' WHEN 'Tax' THEN 'Tax' WHEN 'Refund' THEN 'Credit'
        WHEN 'RoundingAdjustment' THEN 'Adjustment' WHEN 'Adjustment' THEN 'Adjustment' ELSE 'Usage' END`,
      ChargeFrequency: c.first('Frequency'),
      ChargeDescription: c.first('ProductName', 'MeterName'),
      PricingCategory: `CASE ${c.text('PricingModel')} WHEN 'Reservation' THEN 'Committed' WHEN 'SavingsPlan' THEN 'Committed' WHEN 'Spot' THEN 'Dynamic' ELSE 'Standard' END`,
      BilledCost: cost,
      EffectiveCost: cost,
      // TRY: a product too large for a decimal leaves ListCost empty instead of failing the file.
      ListCost: `CAST(TRY(TRY_CAST(${c.text('PayGPrice')} AS DECIMAL(38, 10)) * TRY_CAST(${c.text('Quantity')} AS DECIMAL(38, 10))) AS VARCHAR)`,
      PricingQuantity: c.first('Quantity'),
      PricingUnit: c.first('UnitOfMeasure'),
      ConsumedQuantity: c.first('Quantity'),
      ConsumedUnit: c.first('UnitOfMeasure'),
      CommitmentDiscountId: c.first('benefitId', 'ReservationId'),
      CommitmentDiscountStatus: `CASE ${chargeType} WHEN 'UnusedReservation' THEN 'Unused' WHEN 'UnusedSavingsPlan' THEN 'Unused' END`,
      ResourceId: c.first('ResourceId', 'InstanceId'),
      ResourceName: c.first('ResourceName'),
      ServiceName: c.first('ServiceName', 'MeterCategory', 'ConsumedService'),
      ServiceCategory: c.first('ServiceFamily'),
      RegionId: c.first('ResourceLocation'),
      SkuId: c.first('ProductId', 'MeterId'),
      // Older exports write tags without the enclosing braces.
      Tags: `CASE WHEN ${tags} IS NULL THEN NULL WHEN starts_with(${tags}, '{') THEN ${tags} ELSE '{' || ${tags} || '}' END`,
    },
    notes: [],
  };
}

/**
 * A date-only view of a bill timestamp text, for shifting Azure's inclusive ends: `10/05/2026`, with or without a
 * time after it (`10/5/2026 12:00:00 AM`), or ISO.
 */
function dateOf(text: string): string {
  return `coalesce(try_strptime(split_part(trim(${text}), ' ', 1), '%m/%d/%Y'), TRY_CAST(left(${text}, 10) AS DATE))`;
}

/**
 * CUR's `resource_tags` with each key's `user_` prefix taken off, values as they are: a key is a string right after
 * `{` or `,` (a quote inside a string value is escaped, so no value matches), and a key given twice stays twice.
 */
function curTags(tags: string): string {
  return `regexp_replace(${tags}, '([{,]\\s*)"user_', '\\1"', 'g')`;
}
