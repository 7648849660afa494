import { DomainError } from '../../../kernel/errors/index.ts';

/** One comparison of a SCIM filter (RFC 7644 §3.4.2.2) this server evaluates: `attr op "value"`, or `attr pr`. */
export interface Comparison {
  /** Lower-cased attribute path, schema URN prefix removed: `username`, `emails.value`, `members.value`. */
  path: string;
  op: 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'pr';
  value?: string | boolean | number | null;
}

/** A filter: comparisons joined by `and` (what identity providers send; `or` and grouping are refused as unsupported). */
export type Filter = Comparison[];

const COMPARISON = /^\s*([A-Za-z][\w:.$-]*(?:\.[A-Za-z][\w$-]*)?)\s+(eq|ne|co|sw|ew|pr)\b\s*/i;

export function parseFilter(text: string): Filter {
  const comparisons: Filter = [];
  let rest = text.trim();
  for (;;) {
    const match = COMPARISON.exec(rest);
    if (!match) throw invalid(text);
    const op = match[2]!.toLowerCase() as Comparison['op'];
    rest = rest.slice(match[0].length);
    let value: Comparison['value'];
    if (op !== 'pr') {
      const literal = /^("(?:[^"\\]|\\.)*"|true|false|null|-?\d+(?:\.\d+)?)\s*/i.exec(rest);
      if (!literal) throw invalid(text);
      const token = literal[1]!;
      value = JSON.parse(token.startsWith('"') ? token : token.toLowerCase()) as Comparison['value'];
      rest = rest.slice(literal[0].length);
    }
    comparisons.push({ path: attributePath(match[1]!), op, value });
    if (!rest) return comparisons;
    const and = /^and\s+/i.exec(rest);
    if (!and) throw new DomainError('SCIM_FILTER_UNSUPPORTED', `Only comparisons joined by "and" are supported: ${text}`);
    rest = rest.slice(and[0].length);
  }
}

/** `urn:…:User:userName` → `username`; `name.givenName` → `name.givenname`. */
export function attributePath(path: string): string {
  const urn = /^urn:[^ ]*:(?:User|Group|2\.0:User|2\.0:Group):/i.exec(path);
  return (urn && !/extension/i.test(urn[0]) ? path.slice(urn[0].length) : path).toLowerCase();
}

/** Whether `resource` (a SCIM resource as JSON) satisfies every comparison; strings compare case-insensitively. */
export function matches(resource: Record<string, unknown>, filter: Filter): boolean {
  return filter.every((comparison) => {
    const values = valuesAt(resource, comparison.path);
    if (comparison.op === 'pr') return values.some((value) => value !== null && value !== undefined && value !== '');
    if (comparison.op === 'ne') return !values.some((value) => equal(value, comparison.value));
    return values.some((value) => {
      if (comparison.op === 'eq') return equal(value, comparison.value);
      if (typeof value !== 'string' || typeof comparison.value !== 'string') return false;
      const [have, want] = [value.toLowerCase(), comparison.value.toLowerCase()];
      return comparison.op === 'co' ? have.includes(want) : comparison.op === 'sw' ? have.startsWith(want) : have.endsWith(want);
    });
  });
}

/** Every value at a lower-cased path, through multi-valued attributes (`emails.value` → each email's value). */
export function valuesAt(resource: Record<string, unknown>, path: string): unknown[] {
  let current: unknown[] = [resource];
  for (const part of splitPath(path)) {
    current = current.flatMap((node) => (Array.isArray(node) ? node : [node])).flatMap((node) => {
      if (!node || typeof node !== 'object') return [];
      const key = Object.keys(node).find((candidate) => candidate.toLowerCase() === part);
      return key === undefined ? [] : [(node as Record<string, unknown>)[key]];
    });
  }
  return current.flatMap((node) => (Array.isArray(node) ? node : [node]));
}

/** An extension's URN is one part (`urn:…:enterprise:2.0:user`), then its attributes. */
function splitPath(path: string): string[] {
  const urn = /^(urn:.*:2\.0:user):?(.*)$/i.exec(path);
  if (urn) return [urn[1]!, ...(urn[2] ? urn[2].split('.') : [])];
  return path.split('.');
}

function equal(value: unknown, wanted: Comparison['value']): boolean {
  if (typeof value === 'string' && typeof wanted === 'string') return value.toLowerCase() === wanted.toLowerCase();
  return value === wanted;
}

function invalid(text: string): DomainError {
  return new DomainError('SCIM_INVALID_FILTER', `This filter cannot be read: ${text.slice(0, 200)}`);
}
