import { CHARGE_CATEGORIES, FOCUS_COLUMNS, type FocusColumn } from './focus-columns.ts';
import { literal, quote } from './raw-columns.ts';

/**
 * DuckDB SQL that turns a mapped FOCUS text value into its typed form, and the
 * condition under which the text was present but unreadable.
 */
interface TypedColumn {
  value: string;
  /** Absent for columns any text is valid in. */
  check?: { invalid: string; reason: string };
}

const ISO_DATE = `'^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?$'`;

/** A bill timestamp: ISO 8601 (with or without an offset, made UTC) or US M/D/YY[YY] as spreadsheets write them. */
function timestamp(text: string): string {
  return `CASE
    WHEN regexp_full_match(${text}, ${ISO_DATE}) THEN TRY_CAST(TRY_CAST(replace(${text}, ' UTC', 'Z') AS TIMESTAMPTZ) AS TIMESTAMP)
    WHEN regexp_full_match(${text}, '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}$') THEN try_strptime(${text}, '%m/%d/%y')
    WHEN regexp_full_match(${text}, '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$') THEN try_strptime(${text}, '%m/%d/%Y')
    WHEN regexp_full_match(${text}, '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} .*$') THEN coalesce(try_strptime(${text}, '%m/%d/%Y %H:%M:%S'), try_strptime(${text}, '%m/%d/%Y %I:%M:%S %p'))
  END`;
}

/**
 * Tags as a JSON object with keys trimmed, lowercased and other characters made "_", values as text:
 * `{" Tenant ": "acme", "Cost Center": 7}` reads as `{"tenant":"acme","cost_center":"7"}`.
 */
function tags(text: string): string {
  return `CASE WHEN ${text} IS NULL THEN '{}'
    WHEN json_valid(${text}) AND json_type(${text}::JSON) = 'OBJECT' THEN CAST(to_json(map_from_entries(list_transform(
      json_keys(${text}::JSON), k -> struct_pack(k := trim(regexp_replace(lower(trim(k)), '[^a-z0-9]+', '_', 'g'), '_'), v := ${text}::JSON->>k)))) AS VARCHAR)
  END`;
}

/**
 * A money or quantity text as a plain decimal: a leading currency sign and
 * thousands separators, as spreadsheets export them ("$10,000.00"), removed.
 */
function plainNumber(text: string): string {
  return `CASE WHEN regexp_full_match(${text}, '^-?[$€£¥]?-?[0-9]{1,3}(,[0-9]{3})+([.][0-9]+)?$') THEN replace(regexp_replace(${text}, '[$€£¥]', ''), ',', '')
    ELSE regexp_replace(${text}, '^(-?)[$€£¥]', '\\1') END`;
}

function typed({ focus, kind }: FocusColumn): TypedColumn {
  const text = quote(focus);
  switch (kind) {
    case 'decimal':
      return {
        value: `TRY_CAST(${plainNumber(text)} AS DECIMAL(38, 10))`,
        check: {
          invalid: `${text} IS NOT NULL AND TRY_CAST(${plainNumber(text)} AS DECIMAL(38, 10)) IS NULL`,
          reason: `'not a decimal number that fits DECIMAL(38, 10): ' || ${text}`,
        },
      };
    case 'timestamp':
      return {
        value: timestamp(text),
        check: { invalid: `${text} IS NOT NULL AND (${timestamp(text)}) IS NULL`, reason: `'not a date-time (ISO 8601 or M/D/YYYY): ' || ${text}` },
      };
    case 'tags':
      return { value: tags(text), check: { invalid: `(${tags(text)}) IS NULL`, reason: `'not a JSON object: ' || left(${text}, 200)` } };
    case 'category': {
      const canonical = `CASE lower(${text}) ${CHARGE_CATEGORIES.map((c) => `WHEN ${literal(c.toLowerCase())} THEN ${literal(c)}`).join(' ')} END`;
      return {
        value: canonical,
        check: { invalid: `(${canonical}) IS NULL`, reason: `'${focus} must be one of ${CHARGE_CATEGORIES.join(', ')}; got ' || coalesce(${text}, 'nothing')` },
      };
    }
    case 'code':
      return { value: `upper(${text})` };
    case 'text':
      return { value: text };
  }
}

/** FOCUS columns a row cannot do without. */
const REQUIRED = ['BilledCost', 'EffectiveCost', 'ChargePeriodStart'];

/**
 * The SELECT over the mapped rows (`mapped`: record, the FOCUS columns as
 * text, extra) giving each bill_rows value, and for a row that cannot be
 * loaded the first column at fault and why.
 */
export function typedBillSelect(): string {
  const columns = FOCUS_COLUMNS.map((column) => ({ column, ...typed(column) }));
  const problems = [
    ...REQUIRED.map((focus) => ({ focus, when: `${quote(focus)} IS NULL`, code: 'BILL_VALUE_MISSING', reason: `'${focus} is required'` })),
    ...columns.flatMap(({ column, check }) =>
      check ? [{ focus: column.focus, when: check.invalid, code: 'BILL_VALUE_INVALID', reason: check.reason }] : [],
    ),
  ];
  const values = columns.map(({ column, value }) => {
    if (column.focus === 'BillingPeriodStart') {
      return `coalesce(${value}, date_trunc('month', ${typed(FOCUS_COLUMNS.find((c) => c.focus === 'ChargePeriodStart')!).value})) AS ${column.column}`;
    }
    return `${value} AS ${column.column}`;
  });
  return `SELECT record, ${values.join(',\n  ')}, extra,
  CASE ${problems.map((p) => `WHEN ${p.when} THEN ${literal(p.focus)}`).join(' ')} END AS problem_column,
  CASE ${problems.map((p) => `WHEN ${p.when} THEN ${literal(p.code)}`).join(' ')} END AS problem_code,
  CASE ${problems.map((p) => `WHEN ${p.when} THEN ${p.reason}`).join(' ')} END AS problem_reason
FROM mapped`;
}
