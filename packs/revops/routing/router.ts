import { createHash } from 'node:crypto';
import type { Condition, Pool, PoolMember, RoutingField, RoutingPolicy } from './routing-policy.ts';

/** A lead as routing sees it. */
export interface RoutingInput {
  leadId: string;
  attributes: Readonly<Partial<Record<RoutingField, string | number>>>;
  /** When it is routed: working hours are checked against it. */
  at: Date;
}

/** A member's load: leads ever routed to them (round-robin by turn) and leads open now (lowest-open). */
export interface MemberLoad {
  routed: number;
  open: number;
}

export interface RoutingDecision {
  policyRevision: string;
  /** The rules tried, in order, up to the one that matched. */
  path: { rule: string; matched: boolean }[];
  rule: string | null;
  pool: string | null;
  assignee: string | null;
  /** Why no one was assigned. */
  reason?: 'no-rule-matched' | 'no-member-available';
  /** The members the choice was among (in hours, under capacity) … */
  eligible: string[];
  /** … and the loads it was made on: with the input and the policy, all replay needs. */
  loads: Record<string, MemberLoad>;
}

/**
 * Routes one lead: the first rule whose condition holds names a pool; among the pool's members
 * in working hours and under capacity, the one with the least load for their weight (leads ever
 * routed for round-robin, open leads for lowest-open). Ties go to a draw seeded by the lead and
 * the member — random across leads, so no member always wins them, and the same on every replay.
 * Pure: the caller supplies the loads and applies the outcome.
 */
export function route(policy: RoutingPolicy, input: RoutingInput, loadsOf: (pool: string) => Readonly<Record<string, MemberLoad>>): RoutingDecision {
  const path: RoutingDecision['path'] = [];
  for (const rule of policy.rules) {
    const matched = !rule.when || holds(rule.when, input.attributes);
    path.push({ rule: rule.id, matched });
    if (!matched) continue;
    const pool = policy.pools[rule.pool]!;
    const loads = loadsOf(rule.pool);
    const recorded = Object.fromEntries(pool.members.map((m) => [m.id, loads[m.id] ?? { routed: 0, open: 0 }]));
    const eligible = pool.members.filter((m) => inHours(m, input.at) && (m.capacity === undefined || recorded[m.id]!.open < m.capacity));
    const assignee = pick(pool, eligible, recorded, input.leadId);
    return {
      policyRevision: policy.revision, path, rule: rule.id, pool: rule.pool, assignee: assignee ?? null,
      ...(assignee ? {} : { reason: 'no-member-available' as const }), eligible: eligible.map((m) => m.id), loads: recorded,
    };
  }
  return { policyRevision: policy.revision, path, rule: null, pool: null, assignee: null, reason: 'no-rule-matched', eligible: [], loads: {} };
}

function pick(pool: Pool, eligible: readonly PoolMember[], loads: Record<string, MemberLoad>, leadId: string): string | undefined {
  let best: { id: string; load: number; draw: string } | undefined;
  for (const member of eligible) {
    const load = (pool.strategy === 'round-robin' ? loads[member.id]!.routed : loads[member.id]!.open) / member.weight;
    const draw = createHash('sha256').update(`${leadId}\u0000${member.id}`).digest('hex');
    if (!best || load < best.load || (load === best.load && draw < best.draw)) best = { id: member.id, load, draw };
  }
  return best?.id;
}

export function holds(condition: Condition, attributes: RoutingInput['attributes']): boolean {
  if ('all' in condition) return condition.all.every((c) => holds(c, attributes));
  if ('any' in condition) return condition.any.some((c) => holds(c, attributes));
  const value = attributes[condition.field];
  if (value === undefined) return false;
  if (condition.eq !== undefined && value !== condition.eq) return false;
  if (condition.in !== undefined && !condition.in.includes(value)) return false;
  if (condition.gte !== undefined && !(typeof value === 'number' && value >= condition.gte)) return false;
  if (condition.lte !== undefined && !(typeof value === 'number' && value <= condition.lte)) return false;
  return true;
}

const clocks = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Whether `at` falls in the member's working hours, in their time zone (always, when they have none). */
export function inHours(member: PoolMember, at: Date): boolean {
  if (!member.hours) return true;
  const { tz, days, from, to } = member.hours;
  let clock = clocks.get(tz);
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    clocks.set(tz, clock);
  }
  const parts = Object.fromEntries(clock.formatToParts(at).map((p) => [p.type, p.value]));
  const local = `${parts.hour}:${parts.minute}`;
  return days.includes(WEEKDAYS[parts.weekday!]!) && local >= from && local < to;
}
