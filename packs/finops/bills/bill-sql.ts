import { CHARGE_CATEGORIES, FOCUS_COLUMNS, type FocusColumn } from './focus-columns.ts';
import { literal, quote } from './raw-columns.ts';
import { decimalFromText } from '../../../kernel/warehouse/index.ts';

/**
 * DuckDB SQL that turns a mapped FOCUS text value into its typed form, and the
 * condition under which the text was present but unreadable.
 */
interface TypedColumn {
  value: string;
  /**
   * Absent for columns any text is valid in. Otherwise the value is invalid where it is NULL and the text is not
   * (`always`: NULL even without a text).
   */
  check?: { reason: string; always?: boolean };
}

const ISO_DATE = `'^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?$'`;
/**
 * An ISO 8601 date-time in UTC with nothing DuckDB's TIMESTAMPTZ reading would change (no offset but `Z`, at most
 * microseconds): read as a TIMESTAMP directly, ~10 times cheaper, the same value (`bill-fast-paths.test.ts`).
 */
export const PLAIN_UTC = `'^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?Z?)?)?$'`;

/** ISO 8601's `hh:mm` with its seconds written out (`2026-10-01T00:00Z`), which DuckDB reads only with them. */
function minutesWithSeconds(text: string): string {
  return `regexp_replace(${text}, '^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2})([Z+-]| UTC|$)', '\\1:00\\2')`;
}

/** A bill timestamp: ISO 8601 (with or without an offset, made UTC) or US M/D/YY[YY] as spreadsheets write them. */
export function timestamp(text: string): string {
  return `CASE
    WHEN regexp_full_match(${text}, ${PLAIN_UTC}) THEN TRY_CAST(${text} AS TIMESTAMP)
    WHEN regexp_full_match(${text}, ${ISO_DATE}) THEN TRY_CAST(TRY_CAST(replace(${minutesWithSeconds(text)}, ' UTC', 'Z') AS TIMESTAMPTZ) AS TIMESTAMP)
    WHEN regexp_full_match(${text}, '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}$') THEN try_strptime(${text}, '%m/%d/%y')
    WHEN regexp_full_match(${text}, '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$') THEN try_strptime(${text}, '%m/%d/%Y')
    WHEN regexp_full_match(${text}, '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} .*$') THEN coalesce(try_strptime(${text}, '%m/%d/%Y %H:%M:%S'), try_strptime(${text}, '%m/%d/%Y %I:%M:%S %p'))
  END`;
}

/**
 * DuckDB macros the typed SELECT uses; created once in the scratch database.
 *
 * `bill_tag_key`: a tag key trimmed, lowercased, every run of other characters one "_", no "_" at
 * either end; a key with no letter or digit is "_". Such a key never contains "__".
 * `bill_tag_value`: the value as text (nested JSON as its JSON text), trimmed; '', NULL and "NULL" are null.
 * `bill_tag_object`: an object's normalized keys and values, in the order written; when several keys
 * normalize alike (`"Tenant"`, `" tenant "`, a key written twice) the first keeps the key and the
 * n-th becomes `<key>__<n>`, so every value is kept and "__" cannot clash with a normalized key.
 */
export const BILL_MACROS = [
  `CREATE MACRO bill_tag_key(k) AS coalesce(nullif(trim(regexp_replace(lower(trim(k)), '[^a-z0-9]+', '_', 'g'), '_'), ''), '_')`,
  `CREATE MACRO bill_tag_value(v) AS CASE WHEN upper(trim(v)) IN ('', 'NULL') THEN NULL ELSE trim(v) END`,
  `CREATE MACRO bill_tag_rank(keys, i) AS len(list_filter(keys[1:i - 1], x -> x = keys[i]))`,
  // Distinct keys (the usual case) need no numbering; only colliding ones pay for it.
  `CREATE MACRO bill_tag_object(keys, vals) AS CAST(to_json(map_from_entries(CASE WHEN len(list_distinct(keys)) = len(keys)
     THEN list_transform(range(1, len(keys) + 1), i -> struct_pack(k := keys[i], v := bill_tag_value(vals[i])))
     ELSE list_transform(range(1, len(keys) + 1), i -> struct_pack(
       k := CASE WHEN bill_tag_rank(keys, i) = 0 THEN keys[i] ELSE keys[i] || '__' || (bill_tag_rank(keys, i) + 1) END,
       v := bill_tag_value(vals[i]))) END)) AS VARCHAR)`,
];

/** Whether a Tags text is a JSON object (anything else is kept in `extra` and the row loaded untagged). */
function tagsReadable(text: string): string {
  return `(CASE WHEN json_valid(${text}) THEN json_type(${text}::JSON) = 'OBJECT' ELSE false END)`;
}

/**
 * Each distinct Tags text of the mapped rows (table `tag_texts`), taken apart once (a bill repeats a few hundred tag sets over
 * a million rows; normalizing every row's copy was a third of the typing): `tags_text`, whether it is a JSON
 * object (`tags_readable`), and the object with keys normalized (`tags_object`, `bill_tag_object`):
 * `{" Tenant ": "acme", "Cost Center": 7}` reads as `{"tenant":"acme","cost_center":"7"}`.
 */
export function tagObjectsSelect(): string {
  return `SELECT tags_text, tags_readable,
    CASE WHEN tags_readable THEN bill_tag_object(list_transform(json_keys(tags_text), k -> bill_tag_key(k)), json_extract_string(tags_text, '$.*')) END AS tags_object
  FROM (SELECT tags_text, ${tagsReadable('tags_text')} AS tags_readable FROM tag_texts WHERE tags_text IS NOT NULL) read_tags`;
}

/**
 * How `typed` keeps each row's place in the file. `position`: rows are typed in file order straight from the file and
 * numbered by their position in what `writeRows` writes; a row's Tags are read by number (`TAG_LOOKUP`), since a join
 * would reorder rows (a hash join emits a chunk's unmatched rows last). `record`: rows carry their record number from
 * an ordered copy of the file, and the Tags are joined — for files with more distinct Tags texts than
 * `TAG_LOOKUP_LIMIT`, where the lookup's lists, constants DuckDB copies for every chunk of rows, cost more than the copy.
 */
export type RowOrder = 'position' | 'record';

/** Distinct Tags texts up to which rows are kept in order by position (1M rows: ~0.05 s of list copies at this size). */
export const TAG_LOOKUP_LIMIT = 2048;

/**
 * Statements run once `tag_objects` is built, for `position` order: each distinct Tags text gets a number
 * (`bill_tag_text`, an ENUM) and its reading is kept in two lists by that number.
 */
export const TAG_LOOKUP = [
  'CREATE TABLE tag_codes AS SELECT row_number() OVER (ORDER BY tags_text) - 1 AS code, * FROM tag_objects',
  'CREATE TYPE bill_tag_text AS ENUM (SELECT tags_text FROM tag_codes ORDER BY code)',
  "SET VARIABLE bill_tags_readable = (SELECT coalesce(list(tags_readable ORDER BY code), []) FROM tag_codes)",
  "SET VARIABLE bill_tag_objects = (SELECT coalesce(list(tags_object ORDER BY code), []) FROM tag_codes)",
];

/** The mapped rows with their Tags' reading: looked up by number (`position`) or joined (`record`); missing Tags are no object. */
function withTagObjects(order: RowOrder): string {
  if (order === 'record') {
    return `(SELECT mapped.*, coalesce(tag_objects.tags_readable, false) AS tags_readable, tag_objects.tags_object
  FROM mapped LEFT JOIN tag_objects ON tag_objects.tags_text = mapped.${quote('Tags')}) mapped`;
  }
  const code = `enum_code(CAST(${quote('Tags')} AS bill_tag_text)) + 1`;
  return `(SELECT mapped.*, coalesce(getvariable('bill_tags_readable')[${code}], false) AS tags_readable,
    getvariable('bill_tag_objects')[${code}] AS tags_object
  FROM mapped) mapped`;
}

/** Tags as a JSON object with keys normalized (`tagObjectsSelect`); missing or not an object: `{}`. */
const TAGS = `coalesce(tags_object, '{}')`;

/**
 * A money or quantity text as a plain decimal: a leading currency sign and
 * thousands separators, as spreadsheets export them ("$10,000.00"), removed.
 * "0,125" is no thousands (a decimal comma, or a typo): it stays unreadable.
 */
export function plainNumber(text: string): string {
  return `CASE WHEN regexp_full_match(${text}, '^-?[$€£¥]?-?[1-9][0-9]{0,2}(,[0-9]{3})+([.][0-9]+)?$') THEN replace(regexp_replace(${text}, '[$€£¥]', ''), ',', '')
    ELSE regexp_replace(${text}, '^(-?)[$€£¥]', '\\1') END`;
}

function typed({ focus, kind }: FocusColumn): TypedColumn {
  const text = quote(focus);
  switch (kind) {
    case 'decimal':
      return {
        value: decimalFromText(plainNumber(text)),
        check: { reason: `'not a decimal number that fits DECIMAL(38, 10): ' || ${text}` },
      };
    case 'timestamp':
      return {
        value: timestamp(text),
        check: { reason: `'not a date-time (ISO 8601 or M/D/YYYY): ' || ${text}` },
      };
    case 'tags':
      // Tags name who a charge is for, never whether it was charged: unreadable ones do not park the row.
      return { value: TAGS };
    case 'category': {
      const canonical = `CASE lower(${text}) ${CHARGE_CATEGORIES.map((c) => `WHEN ${literal(c.toLowerCase())} THEN ${literal(c)}`).join(' ')} END`;
      return {
        value: canonical,
        check: { always: true, reason: `'${focus} must be one of ${CHARGE_CATEGORIES.join(', ')}; got ' || coalesce(${text}, 'nothing')` },
      };
    }
    case 'code':
      return { value: `upper(${text})` };
    case 'text':
      return { value: text };
  }
}

/** The column of `mapped` holding the row as read (a STRUCT of the file's columns), for parked rows. */
export const RAW_ROW = 'source_row';

/** FOCUS columns a row cannot do without. */
const REQUIRED = ['BilledCost', 'EffectiveCost', 'ChargePeriodStart'];

/**
 * The costs the models add up and split, and the most one bill line may cost: no bill has a line of ten billion, and
 * under it the sums and shares of a whole bill stay within DECIMAL(38, 10) (a line of 10¹⁸ failed the FinOps build).
 */
const SPLIT_COSTS = ['BilledCost', 'EffectiveCost'];
const MAX_LINE_COST = '10000000000';

/**
 * The SELECT over the mapped rows (`mapped`: the FOCUS columns as text, extra,
 * `RAW_ROW`, and in `record` order `record`; and the Tags' readings, `withTagObjects`) giving each bill_rows value, and for a row that cannot be
 * loaded the first column at fault and why. Each value is typed once, in the inner SELECT (as `v_<column>`): the
 * checks compare values with their texts, and the three problem columns follow from the number of the first check
 * that fails (repeating the typing in each check was half of the typing's time).
 */
export function typedBillSelect(order: RowOrder): string {
  const columns = FOCUS_COLUMNS.map((column) => ({ column, ...typed(column) }));
  const problems = [
    ...REQUIRED.map((focus) => ({ focus, when: `${quote(focus)} IS NULL`, code: 'BILL_VALUE_MISSING', reason: `'${focus} is required'` })),
    ...columns.flatMap(({ column, check }) =>
      check
        ? [{ focus: column.focus, when: `${check.always ? '' : `${quote(column.focus)} IS NOT NULL AND `}v_${column.column} IS NULL`, code: 'BILL_VALUE_INVALID', reason: check.reason }]
        : [],
    ),
    ...columns.filter(({ column }) => SPLIT_COSTS.includes(column.focus)).map(({ column }) => ({
      focus: column.focus,
      when: `abs(v_${column.column}) >= ${MAX_LINE_COST}`,
      code: 'BILL_VALUE_INVALID',
      reason: `'${column.focus} of 10^10 or more is no bill line''s cost; got ' || ${quote(column.focus)}`,
    })),
  ];
  const typedValues = columns.map(({ column, value }) => `${value} AS v_${column.column}`);
  const values = columns.map(({ column }) =>
    column.focus === 'BillingPeriodStart'
      ? `coalesce(v_${column.column}, date_trunc('month', v_${FOCUS_COLUMNS.find((c) => c.focus === 'ChargePeriodStart')!.column})) AS ${column.column}`
      : `v_${column.column} AS ${column.column}`,
  );
  const byProblem = (pick: (p: (typeof problems)[number]) => string) => `CASE problem ${problems.map((p, i) => `WHEN ${i} THEN ${pick(p)}`).join(' ')} END`;
  const tagsText = quote('Tags');
  const unreadableTags = `${tagsText} IS NOT NULL AND NOT tags_readable`;
  return `SELECT ${order === 'record' ? 'record, ' : ''}${RAW_ROW}, ${values.join(',\n  ')},
  CASE WHEN ${unreadableTags} THEN CAST(json_merge_patch(extra, json_object('Tags', ${tagsText})) AS VARCHAR) ELSE extra END AS extra,
  coalesce(${unreadableTags}, false) AS tags_unreadable,
  ${byProblem((p) => literal(p.focus))} AS problem_column,
  ${byProblem((p) => literal(p.code))} AS problem_code,
  ${byProblem((p) => p.reason)} AS problem_reason
FROM (SELECT *, CASE ${problems.map((p, i) => `WHEN ${p.when} THEN ${i}`).join(' ')} END AS problem
  FROM (SELECT mapped.*, ${typedValues.join(',\n    ')} FROM ${withTagObjects(order)}) typed_once) checked`;
}
