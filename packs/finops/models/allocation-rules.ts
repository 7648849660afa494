import { parse as parseYaml } from 'yaml';
import { captureGroups, re2Problem } from '../../../kernel/warehouse/index.ts';
import type { ModelProblem } from '../../../platform/transforms/index.ts';

/** A rule that names a bill row's tenant: a tag's value, a resource-id pattern's capture group, or a fixed tenant. */
export interface DirectRule {
  name: string;
  tag?: string;
  resourceId?: string;
  /** With `resourceId`: the tenant every matching row belongs to (otherwise the pattern's first group). */
  tenant?: string;
}

/** Conditions a shared bill row meets (all of them). */
export interface SharedMatch {
  tags: Record<string, string>;
  resourceId?: string;
  serviceName?: string;
  chargeCategory?: string;
}

export type Split =
  | { kind: 'meter'; meter: string; where: Record<string, string> }
  | { kind: 'even' }
  | { kind: 'weights'; weights: Record<string, string> };

export interface SharedRule {
  name: string;
  match: SharedMatch;
  split: Split;
}

export interface AllocationRules {
  direct: DirectRule[];
  shared: SharedRule[];
}

/** Where a models folder keeps its allocation rules. */
export const ALLOCATION_FILE = 'finops/allocation.yaml';

const NAME = /^[a-z][a-z0-9_-]*$/;
const KEY = /^[a-z_][a-z0-9_]*$/;
const DECIMAL = /^[0-9]{1,9}([.][0-9]{1,10})?$/;

/**
 * Reads `finops/allocation.yaml`: `direct:` rules tried in order (the first that
 * names a tenant wins), then `shared:` rules (the first that matches splits the
 * row); what none claims stays unallocated. Every problem is reported at once.
 */
export function parseAllocationRules(path: string, text: string): { rules: AllocationRules; problems: ModelProblem[] } {
  const problems: ModelProblem[] = [];
  const problem = (message: string) => problems.push({ path, message });
  const empty = { rules: { direct: [], shared: [] }, problems };
  let doc: { direct?: unknown; shared?: unknown };
  try {
    doc = (parseYaml(text) ?? {}) as typeof doc;
  } catch (error) {
    problem(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    return empty;
  }
  const list = (value: unknown, key: string): Record<string, unknown>[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      problem(`\`${key}:\` must be a list of rules`);
      return [];
    }
    return value as Record<string, unknown>[];
  };
  const names = new Set<string>();
  const named = (raw: Record<string, unknown>, where: string): string => {
    const name = String(raw?.name ?? '');
    if (!NAME.test(name)) problem(`${where}: name must be lowercase letters, digits, "-" and "_"`);
    else if (names.has(name)) problem(`${where}: rule "${name}" is declared twice`);
    names.add(name);
    return name;
  };
  /** Patterns already reported: what else is said of them (a capture group) would follow from that. */
  const unusable = new Set<string>();
  const pattern = (value: unknown, where: string): string | undefined => {
    if (value === undefined) return undefined;
    const text = String(value);
    if (text.includes("'")) problem(`${where}: a pattern cannot contain a single quote`);
    try {
      new RegExp(text);
      // The engines match with RE2, which JavaScript's syntax outgrows: the build would fail on these.
      const unsupported = re2Problem(text);
      if (unsupported) {
        problem(`${where}: "${text}" uses ${unsupported}, which the warehouse's regular expressions (RE2) do not have`);
        unusable.add(text);
      }
    } catch {
      problem(`${where}: "${text}" is not a regular expression`);
      unusable.add(text);
    }
    return text;
  };

  const direct = list(doc.direct, 'direct').map((raw, i): DirectRule => {
    const where = `direct[${i}]`;
    const name = named(raw, where);
    const tag = raw.tag === undefined ? undefined : String(raw.tag);
    const resourceId = pattern(raw.resource_id, where);
    const tenant = raw.tenant === undefined ? undefined : String(raw.tenant);
    if ((tag === undefined) === (resourceId === undefined)) problem(`${where}: give either tag: <key> or resource_id: <pattern>`);
    if (tag !== undefined && !KEY.test(tag)) problem(`${where}: tag "${tag}" is not a tag key as imported (lowercase, "_" for other characters)`);
    if (tenant !== undefined && tag !== undefined) problem(`${where}: tenant: goes with resource_id:, not tag:`);
    if (resourceId !== undefined && tenant === undefined && !unusable.has(resourceId) && captureGroups(resourceId) === 0) {
      problem(`${where}: resource_id needs a capture group naming the tenant, or a tenant:`);
    }
    return { name, tag, resourceId, tenant };
  });

  const shared = list(doc.shared, 'shared').map((raw, i): SharedRule => {
    const where = `shared[${i}]${typeof raw?.name === 'string' ? ` (${raw.name})` : ''}`;
    const name = named(raw, where);
    const m = (raw.match ?? {}) as Record<string, unknown>;
    const tags = Object.fromEntries(Object.entries((m.tag ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    for (const key of Object.keys(tags)) if (!KEY.test(key)) problem(`${where}: tag "${key}" is not a tag key as imported`);
    const match: SharedMatch = {
      tags,
      resourceId: pattern(m.resource_id, where),
      serviceName: m.service_name === undefined ? undefined : String(m.service_name),
      chargeCategory: m.charge_category === undefined ? undefined : String(m.charge_category),
    };
    if (!Object.keys(tags).length && !match.resourceId && !match.serviceName && !match.chargeCategory) {
      problem(`${where}: match: needs at least one of tag, resource_id, service_name, charge_category`);
    }
    return { name, match, split: parseSplit(raw.split, where, problem) };
  });
  return { rules: { direct, shared }, problems };
}

function parseSplit(raw: unknown, where: string, problem: (message: string) => void): Split {
  if (raw === 'even') return { kind: 'even' };
  const split = (raw ?? {}) as Record<string, unknown>;
  if (typeof split.meter === 'string') {
    const filter = Object.fromEntries(Object.entries((split.where ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    for (const key of Object.keys(filter)) if (!KEY.test(key)) problem(`${where}: split.where "${key}" is not a meter dimension`);
    return { kind: 'meter', meter: split.meter, where: filter };
  }
  if (split.weights && typeof split.weights === 'object') {
    const weights = Object.fromEntries(Object.entries(split.weights as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    for (const [tenant, weight] of Object.entries(weights)) {
      if (!DECIMAL.test(weight) || Number(weight) === 0) problem(`${where}: weight of "${tenant}" must be a positive decimal`);
      if (tenant.includes("'")) problem(`${where}: tenant "${tenant}" cannot contain a quote`);
    }
    if (!Object.keys(weights).length) problem(`${where}: split.weights is empty`);
    return { kind: 'weights', weights };
  }
  problem(`${where}: split must be even, {meter: <meter name>, where: {...}} or {weights: {tenant: weight}}`);
  return { kind: 'even' };
}
