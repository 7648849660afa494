import { describe, expect, it } from 'vitest';
import { route, type MemberLoad, type RoutingDecision } from './router.ts';
import { parseRoutingPolicy } from './routing-policy.ts';

const MONDAY_NOON_UTC = new Date('2026-11-30T12:00:00.000Z');

const policy = parseRoutingPolicy({
  pools: {
    founders: { strategy: 'round-robin', members: [{ id: 'ceo' }] },
    'ae-emea': { strategy: 'round-robin', members: [{ id: 'ana' }, { id: 'ben' }, { id: 'chi' }, { id: 'dev' }] },
    'ae-na': { strategy: 'lowest-open', members: [{ id: 'eve', weight: 2 }, { id: 'fay' }, { id: 'gus' }] },
    partners: { strategy: 'round-robin', members: [{ id: 'pam', capacity: 2 }, { id: 'pia', capacity: 1 }] },
    follow: {
      strategy: 'round-robin',
      members: [
        { id: 'nyc', hours: { tz: 'America/New_York', days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' } },
        { id: 'ber', hours: { tz: 'Europe/Berlin', days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' } },
      ],
    },
  },
  rules: [
    { id: 'strategic', when: { all: [{ field: 'arr_band', in: ['1m-5m', '5m+'] }, { any: [{ field: 'icp_score', gte: 80 }, { field: 'segment', eq: 'enterprise' }] }] }, pool: 'founders' },
    { id: 'partner', when: { field: 'source', eq: 'partner_referral' }, pool: 'partners' },
    { id: 'emea', when: { field: 'region', eq: 'emea' }, pool: 'ae-emea' },
    { id: 'follow-the-sun', when: { field: 'segment', eq: 'support' }, pool: 'follow' },
    { id: 'default', pool: 'ae-na' },
  ],
});

/** Routes leads one after another, each assignment counted before the next: what the store does for a batch. */
function routeAll(n: number, attributes: Record<string, string | number>, at = MONDAY_NOON_UTC, prefix = 'lead') {
  const loads = new Map<string, Record<string, MemberLoad>>();
  const decisions: RoutingDecision[] = [];
  for (let i = 0; i < n; i++) {
    const decision = route(policy, { leadId: `${prefix}-${i}`, attributes, at }, (pool) => ({ ...(loads.get(pool) ?? {}) }));
    decisions.push(decision);
    if (decision.assignee) {
      const pool = loads.get(decision.pool!) ?? {};
      const load = pool[decision.assignee] ?? { routed: 0, open: 0 };
      pool[decision.assignee] = { routed: load.routed + 1, open: load.open + 1 };
      loads.set(decision.pool!, pool);
    }
  }
  return decisions;
}

const counts = (decisions: readonly RoutingDecision[]) => decisions.reduce<Record<string, number>>((c, d) => ({ ...c, [d.assignee ?? '-']: (c[d.assignee ?? '-'] ?? 0) + 1 }), {});

describe('lead routing', () => {
  it('takes the first rule whose AND/OR condition holds, and records the rules it tried', () => {
    const one = (attributes: Record<string, string | number>) => route(policy, { leadId: 'l', attributes, at: MONDAY_NOON_UTC }, () => ({}));
    expect(one({ arr_band: '5m+', segment: 'enterprise', region: 'emea' })).toMatchObject({ rule: 'strategic', pool: 'founders', assignee: 'ceo', path: [{ rule: 'strategic', matched: true }] });
    expect(one({ arr_band: '5m+', icp_score: 60, region: 'emea' })).toMatchObject({
      rule: 'emea', path: [{ rule: 'strategic', matched: false }, { rule: 'partner', matched: false }, { rule: 'emea', matched: true }],
    });
    expect(one({ source: 'web_form' }).rule).toBe('default');
  });

  it('spreads a batch over the pool by turn: 1,000 leads to four members differ by at most one, ties going to no member in particular', () => {
    const byTurn = counts(routeAll(1_000, { region: 'emea' }));
    expect(Math.max(...Object.values(byTurn)) - Math.min(...Object.values(byTurn))).toBeLessThanOrEqual(1);
    expect(Object.keys(byTurn).sort()).toEqual(['ana', 'ben', 'chi', 'dev']);
    // Every first lead of a fresh pool is a tie of four: who wins it is a draw per lead.
    const firsts = counts(Array.from({ length: 400 }, (_, i) => routeAll(1, { region: 'emea' }, MONDAY_NOON_UTC, `fresh-${i}`)[0]!));
    for (const member of ['ana', 'ben', 'chi', 'dev']) expect(firsts[member]).toBeGreaterThan(60);
  });

  it('gives each member leads in proportion to their weight, on open counts for lowest-open', () => {
    expect(counts(routeAll(1_000, { region: 'na' }))).toEqual({ eve: 500, fay: 250, gus: 250 });
    // Fay has closed her leads (none open): lowest-open sends her the next ones.
    const next = route(policy, { leadId: 'x', attributes: {}, at: MONDAY_NOON_UTC }, () => ({ eve: { routed: 10, open: 6 }, fay: { routed: 5, open: 0 }, gus: { routed: 5, open: 3 } }));
    expect(next).toMatchObject({ assignee: 'fay', eligible: ['eve', 'fay', 'gus'] });
  });

  it('skips members at capacity, and says so when no one is left', () => {
    const decisions = routeAll(4, { source: 'partner_referral' });
    expect(counts(decisions)).toEqual({ pam: 2, pia: 1, '-': 1 });
    expect(decisions.at(-1)).toMatchObject({ assignee: null, reason: 'no-member-available', eligible: [] });
  });

  it('routes only to members in their working hours, in their own time zone', () => {
    const at = (iso: string) => route(policy, { leadId: 'sun', attributes: { segment: 'support' }, at: new Date(iso) }, () => ({}));
    expect(at('2026-11-30T09:00:00.000Z')).toMatchObject({ assignee: 'ber', eligible: ['ber'] }); // 10:00 Berlin, 04:00 New York
    expect(at('2026-11-30T20:00:00.000Z')).toMatchObject({ assignee: 'nyc', eligible: ['nyc'] }); // 21:00 Berlin, 15:00 New York
    expect(at('2026-11-29T12:00:00.000Z')).toMatchObject({ assignee: null, reason: 'no-member-available' }); // a Sunday
  });

  it('reproduces every assignee when the recorded input and loads are routed again through the recorded policy', () => {
    const decisions = routeAll(1_000, { region: 'na' });
    for (const [i, decision] of decisions.entries()) {
      const again = route(policy, { leadId: `lead-${i}`, attributes: { region: 'na' }, at: MONDAY_NOON_UTC }, () => decision.loads);
      expect(again.assignee).toBe(decision.assignee);
    }
  });

  it('refuses a policy it cannot route by, naming the part at fault', () => {
    const cases: [unknown, RegExp][] = [
      [{ pools: { a: { strategy: 'round-robin', members: [{ id: 'x' }] } }, rules: [{ id: 'r', pool: 'b' }] }, /pool "b", which the policy does not define/],
      [{ pools: { a: { strategy: 'fastest', members: [{ id: 'x' }] } }, rules: [{ id: 'r', pool: 'a' }] }, /strategy must be round-robin or lowest-open/],
      [{ pools: { a: { strategy: 'round-robin', members: [{ id: 'x', hours: { tz: 'Mars/Olympus', days: [1], from: '09:00', to: '17:00' } }] } }, rules: [{ id: 'r', pool: 'a' }] }, /IANA time zone/],
      [{ pools: { a: { strategy: 'round-robin', members: [{ id: 'x' }] } }, rules: [{ id: 'r', pool: 'a', when: { field: 'mood', eq: 'happy' } }] }, /field must be one of/],
      [{ pools: { a: { strategy: 'round-robin', members: [{ id: 'x' }, { id: 'x' }] } }, rules: [{ id: 'r', pool: 'a' }] }, /lists x twice/],
    ];
    for (const [input, message] of cases) expect(() => parseRoutingPolicy(input)).toThrow(message);
    expect(parseRoutingPolicy({ rules: policy.rules, pools: policy.pools }).revision).toBe(policy.revision);
    expect(parseRoutingPolicy({ rules: policy.rules.slice(1), pools: policy.pools }).revision).not.toBe(policy.revision);
  });
});
