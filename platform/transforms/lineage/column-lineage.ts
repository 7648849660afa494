import type { ColumnLineage, InputField } from './openlineage.ts';

/** A relation a model reads, with its columns. */
export interface LineageInput {
  namespace: string;
  name: string;
  columns: string[];
}

const AGGREGATE = /\b(count|sum|max|min|avg|argmax|arg_max|any|uniq\w*|quantile\w*|median|group_concat|string_agg|list)\s*\(/i;
const BARE_COLUMN = /^(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)$/;
const ALIASED = /^([\s\S]*\S)\s+(?:AS\s+)?([A-Za-z_]\w*)$/i;
const IDENTIFIER = /(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)(\s*\()?/g;

/**
 * Column lineage where the SQL makes it derivable: the outer SELECT list of a
 * rendered model, each item traced to the input columns it names (through a
 * subquery in FROM, to the columns that subquery reads). `*` maps
 * every input column through; expressions naming no input column (count(*))
 * get no entry rather than a guess.
 */
export function deriveColumnLineage(sql: string, inputs: readonly LineageInput[], { backslashEscapes = false } = {}): ColumnLineage {
  return derive(withoutLiterals(sql, backslashEscapes), inputs);
}

const SUBTYPES = ['IDENTITY', 'TRANSFORMATION', 'AGGREGATION'] as const;
type Subtype = (typeof SUBTYPES)[number];

function derive(sql: string, inputs: readonly LineageInput[]): ColumnLineage {
  const select = outerSelect(sql);
  if (!select) return {};
  const { items, from } = select;
  // FROM ( SELECT … ) alias: trace through the subquery's own lineage.
  const subquery = from.trimStart().startsWith('(') ? balancedParentheses(from.trimStart()) : undefined;
  const inner = subquery === undefined ? undefined : derive(subquery, inputs);
  const lineage: ColumnLineage = {};
  for (const item of items) {
    if (/^(?:[A-Za-z_]\w*\.)?\*$/.test(item)) {
      for (const input of inputs) for (const column of input.columns) lineage[column] = { inputFields: [field(input, column, 'IDENTITY')] };
      continue;
    }
    const bare = BARE_COLUMN.exec(item);
    const aliased = bare ? undefined : ALIASED.exec(item);
    const [expression, output] = bare ? [item, bare[1]!] : aliased ? [aliased[1]!, aliased[2]!] : [item, undefined];
    if (!output) continue;
    const subtype: Subtype = bare || BARE_COLUMN.test(expression) ? 'IDENTITY' : AGGREGATE.test(expression) ? 'AGGREGATION' : 'TRANSFORMATION';
    const named = new Set([...expression.matchAll(IDENTIFIER)].filter((m) => !m[2]).map((m) => m[1]!));
    const inputFields = inner
      ? [...named].flatMap((column) =>
          (inner[column]?.inputFields ?? []).map((f) => ({ ...f, transformations: [{ type: 'DIRECT' as const, subtype: stronger(subtype, f.transformations[0]!.subtype) }] })),
        )
      : inputs.flatMap((input) => input.columns.filter((c) => named.has(c)).map((c) => field(input, c, subtype)));
    if (inputFields.length) lineage[output] = { inputFields };
  }
  return lineage;
}

function stronger(a: Subtype, b: Subtype): Subtype {
  return SUBTYPES[Math.max(SUBTYPES.indexOf(a), SUBTYPES.indexOf(b))]!;
}

/** The text inside the parentheses `text` starts with. */
function balancedParentheses(text: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(1, i);
  }
  return undefined;
}

function field(input: LineageInput, column: string, subtype: InputField['transformations'][number]['subtype']): InputField {
  return { namespace: input.namespace, name: input.name, field: column, transformations: [{ type: 'DIRECT', subtype }] };
}

/** String literals, as an engine that escapes with a backslash writes them, or as one that only doubles quotes does. */
const LITERAL = { backslash: /'(?:[^'\\]|\\[\s\S]|'')*'/g, doubled: /'(?:[^']|'')*'/g };

/** Comments and string literals out, so that neither is read as a column. */
function withoutLiterals(sql: string, backslashEscapes: boolean): string {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ').replace(LITERAL[backslashEscapes ? 'backslash' : 'doubled'], "''");
}

/** The items between the first top-level SELECT and its FROM, split on top-level commas, and what follows FROM. */
function outerSelect(sql: string): { items: string[]; from: string } | undefined {
  let depth = 0;
  let start = -1;
  const items: string[] = [];
  let itemStart = -1;
  for (let i = 0; i < sql.length; i++) {
    const char = sql[i]!;
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (depth === 0 && /[A-Za-z]/.test(char) && !/\w/.test(sql[i - 1] ?? ' ')) {
      const word = /^[A-Za-z_]+/.exec(sql.slice(i))![0].toUpperCase();
      if (start < 0 && word === 'SELECT') {
        start = i + word.length;
        const distinct = /^\s+DISTINCT\b/i.exec(sql.slice(start));
        itemStart = start + (distinct ? distinct[0].length : 0);
      } else if (start >= 0 && word === 'FROM') {
        items.push(sql.slice(itemStart, i).trim());
        return { items: items.filter(Boolean), from: sql.slice(i + word.length) };
      }
      i += word.length - 1;
    } else if (char === ',' && depth === 0 && start >= 0) {
      items.push(sql.slice(itemStart, i).trim());
      itemStart = i + 1;
    }
  }
  return undefined;
}
