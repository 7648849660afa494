import { describe, expect, it } from 'vitest';
import { checkApprovalRule, outstanding, ruleSatisfied, type ApprovalRule } from './approval-rule.ts';
import { percentile } from './approval-sla.ts';

const peerAndManager: ApprovalRule = { combine: 'all', groups: [{ role: 'peer', count: 1 }, { role: 'manager', count: 1 }] };

describe('approval rules', () => {
  it('counts a person once, toward the first group of theirs that still needs someone', () => {
    const both = { approver: 'bo', roles: ['peer', 'manager'] };
    expect(Object.fromEntries(outstanding(peerAndManager, [both]))).toEqual({ peer: 0, manager: 1 });
    expect(ruleSatisfied(peerAndManager, [both, both])).toBe(false);
    expect(ruleSatisfied(peerAndManager, [both, { approver: 'cy', roles: ['manager'] }])).toBe(true);
    // The manager first, then someone who is both: the second fills the peer group.
    expect(ruleSatisfied(peerAndManager, [{ approver: 'cy', roles: ['manager'] }, both])).toBe(true);
  });

  it('needs the count of a group, and one group of an OR rule', () => {
    const twoPeersOrAVp: ApprovalRule = { combine: 'any', groups: [{ role: 'peer', count: 2 }, { role: 'vp', count: 1 }] };
    expect(ruleSatisfied(twoPeersOrAVp, [{ approver: 'a', roles: ['peer'] }])).toBe(false);
    expect(ruleSatisfied(twoPeersOrAVp, [{ approver: 'a', roles: ['peer'] }, { approver: 'b', roles: ['peer'] }])).toBe(true);
    expect(ruleSatisfied(twoPeersOrAVp, [{ approver: 'c', roles: ['vp'] }])).toBe(true);
  });

  it('refuses a rule without groups, with a count below one, or naming a role twice', () => {
    expect(() => checkApprovalRule({ combine: 'all', groups: [] })).toThrow('at least one group');
    expect(() => checkApprovalRule({ combine: 'all', groups: [{ role: 'peer', count: 0 }] })).toThrow('at least 1');
    expect(() => checkApprovalRule({ combine: 'any', groups: [{ role: 'peer', count: 1 }, { role: 'peer', count: 2 }] })).toThrow('each role once');
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 95)).toBeUndefined();
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95);
  });
});
