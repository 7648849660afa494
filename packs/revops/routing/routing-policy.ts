import { createHash } from 'node:crypto';
import { DomainError } from '../../../kernel/errors/index.ts';
import { canonicalJson } from '../canonical-json.ts';

/** What a rule may look at: the lead's attributes as routing sees them. */
export const ROUTING_FIELDS = ['source', 'country', 'region', 'segment', 'arr_band', 'icp_score', 'employees'] as const;
export type RoutingField = (typeof ROUTING_FIELDS)[number];

/** A condition: one test of a field, or all / any of several (nested as deep as the policy needs, up to 8). */
export type Condition =
  | { field: RoutingField; eq?: string | number; in?: readonly (string | number)[]; gte?: number; lte?: number }
  | { all: readonly Condition[] }
  | { any: readonly Condition[] };

export interface PoolMember {
  id: string;
  /** Share of the pool's leads relative to the others (default 1). */
  weight: number;
  /** Open leads at most; a member at capacity is skipped. */
  capacity?: number;
  /** When the member takes leads: local days (1 = Monday … 7 = Sunday) and hours in a time zone. */
  hours?: { tz: string; days: readonly number[]; from: string; to: string };
}

export interface Pool {
  /** `round-robin`: by turn — the member with the fewest leads ever routed to them (by weight); `lowest-open`: the fewest open now. */
  strategy: 'round-robin' | 'lowest-open';
  /** A lead left untouched past its SLA goes to another member of the pool (once). */
  reassign_on_breach?: boolean;
  members: readonly PoolMember[];
}

export interface RoutingRule {
  id: string;
  /** Absent: always matches (a default rule). */
  when?: Condition;
  pool: string;
  /** Minutes from routing to the assignee's first touch (hot leads: 15); a lead past it is a breach. */
  sla_minutes?: number;
}

export interface RoutingPolicy {
  /** A hash of the policy's canonical text: what receipts name and replay looks up. */
  revision: string;
  pools: Readonly<Record<string, Pool>>;
  rules: readonly RoutingRule[];
}

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HOUR = /^([01]\d|2[0-3]):[0-5]\d$/;

function invalid(message: string): never {
  throw new DomainError('ROUTING_POLICY_INVALID', message);
}

function checkCondition(value: unknown, where: string, depth = 0): Condition {
  if (depth > 8) invalid(`${where}: conditions nest at most 8 deep.`);
  const c = value as Record<string, unknown>;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) invalid(`${where} must be an object.`);
  for (const group of ['all', 'any'] as const) {
    if (group in c) {
      const list = c[group];
      if (!Array.isArray(list) || list.length === 0) invalid(`${where}.${group} must be a non-empty list of conditions.`);
      const conditions = list.map((item, i) => checkCondition(item, `${where}.${group}[${i}]`, depth + 1));
      return group === 'all' ? { all: conditions } : { any: conditions };
    }
  }
  if (!ROUTING_FIELDS.includes(c.field as RoutingField)) invalid(`${where}.field must be one of ${ROUTING_FIELDS.join(', ')}.`);
  const tests = ['eq', 'in', 'gte', 'lte'].filter((t) => t in c);
  if (tests.length === 0) invalid(`${where} needs a test: eq, in, gte or lte.`);
  if ('in' in c && (!Array.isArray(c.in) || c.in.length === 0)) invalid(`${where}.in must be a non-empty list.`);
  for (const bound of ['gte', 'lte'] as const) if (bound in c && typeof c[bound] !== 'number') invalid(`${where}.${bound} must be a number.`);
  return c as Condition;
}

function checkMember(value: unknown, where: string): PoolMember {
  const m = value as Record<string, unknown>;
  if (typeof m?.id !== 'string' || !ID.test(m.id)) invalid(`${where}.id must be 1–64 lower-case letters, digits, ".", "_" or "-".`);
  const weight = m.weight ?? 1;
  if (typeof weight !== 'number' || !(weight > 0) || weight > 100) invalid(`${where}.weight must be a number above 0 and at most 100.`);
  if (m.capacity !== undefined && (!Number.isInteger(m.capacity) || (m.capacity as number) < 0)) invalid(`${where}.capacity must be a whole number ≥ 0.`);
  let hours: PoolMember['hours'];
  if (m.hours !== undefined) {
    const h = m.hours as Record<string, unknown>;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: String(h.tz) });
    } catch {
      invalid(`${where}.hours.tz must be an IANA time zone such as Europe/Berlin.`);
    }
    const days = h.days;
    if (!Array.isArray(days) || days.length === 0 || !days.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) invalid(`${where}.hours.days must list days 1 (Monday) to 7.`);
    if (typeof h.from !== 'string' || !HOUR.test(h.from) || typeof h.to !== 'string' || !HOUR.test(h.to) || h.from >= h.to) invalid(`${where}.hours: from and to are HH:MM, from before to.`);
    hours = { tz: String(h.tz), days: days as number[], from: h.from, to: h.to };
  }
  return { id: m.id, weight, ...(m.capacity !== undefined ? { capacity: m.capacity as number } : {}), ...(hours ? { hours } : {}) };
}

/** Parses and checks a routing policy (`{pools, rules}`); its revision is the hash of what it decides with. */
export function parseRoutingPolicy(input: unknown): RoutingPolicy {
  const p = input as Record<string, unknown>;
  if (typeof p !== 'object' || p === null) invalid('A routing policy is an object with pools and rules.');
  const poolsIn = p.pools as Record<string, unknown>;
  if (typeof poolsIn !== 'object' || poolsIn === null || Object.keys(poolsIn).length === 0) invalid('pools must name at least one pool.');
  const pools: Record<string, Pool> = {};
  for (const [name, value] of Object.entries(poolsIn)) {
    if (!ID.test(name)) invalid(`Pool name ${JSON.stringify(name)} must be 1–64 lower-case letters, digits, ".", "_" or "-".`);
    const pool = value as Record<string, unknown>;
    if (pool?.strategy !== 'round-robin' && pool?.strategy !== 'lowest-open') invalid(`pools.${name}.strategy must be round-robin or lowest-open.`);
    if (!Array.isArray(pool.members) || pool.members.length === 0) invalid(`pools.${name}.members must list at least one member.`);
    const members = pool.members.map((m, i) => checkMember(m, `pools.${name}.members[${i}]`));
    const ids = members.map((m) => m.id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) invalid(`pools.${name} lists ${twice} twice.`);
    if (pool.reassign_on_breach !== undefined && typeof pool.reassign_on_breach !== 'boolean') invalid(`pools.${name}.reassign_on_breach must be true or false.`);
    pools[name] = { strategy: pool.strategy, members, ...(pool.reassign_on_breach === true ? { reassign_on_breach: true } : {}) };
  }
  if (!Array.isArray(p.rules) || p.rules.length === 0) invalid('rules must list at least one rule.');
  const rules = p.rules.map((value, i): RoutingRule => {
    const r = value as Record<string, unknown>;
    if (typeof r?.id !== 'string' || !ID.test(r.id)) invalid(`rules[${i}].id must be 1–64 lower-case letters, digits, ".", "_" or "-".`);
    if (typeof r.pool !== 'string' || !pools[r.pool]) invalid(`rules[${i}] (${r.id}) routes to pool ${JSON.stringify(r.pool)}, which the policy does not define.`);
    if (r.sla_minutes !== undefined && (!Number.isInteger(r.sla_minutes) || (r.sla_minutes as number) < 1 || (r.sla_minutes as number) > 10_080)) {
      invalid(`rules[${i}].sla_minutes must be a whole number of minutes from 1 to 10080 (a week).`);
    }
    return {
      id: r.id, pool: r.pool, ...(r.when !== undefined ? { when: checkCondition(r.when, `rules[${i}].when`) } : {}),
      ...(r.sla_minutes !== undefined ? { sla_minutes: r.sla_minutes as number } : {}),
    };
  });
  const ruleIds = rules.map((r) => r.id);
  const repeated = ruleIds.find((id, i) => ruleIds.indexOf(id) !== i);
  if (repeated) invalid(`Rule ${repeated} appears twice.`);
  const decided = { pools, rules };
  return { revision: createHash('sha256').update(canonicalJson(decided)).digest('hex').slice(0, 16), ...decided };
}
