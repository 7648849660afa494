import { DomainError } from '../../kernel/errors/index.ts';

/** "`count` approvers holding `role`", e.g. one security lead. */
export interface ApproverGroup {
  readonly role: string;
  readonly count: number;
}

/**
 * Who must approve: every group (`all`, e.g. a peer AND a manager) or any one of them (`any`).
 * One person's approval counts once, toward one group: the first of their roles (in the
 * rule's order) that still needs someone — so a peer who is also a manager cannot stand in
 * for both.
 */
export interface ApprovalRule {
  readonly combine: 'all' | 'any';
  readonly groups: readonly ApproverGroup[];
}

/** An approval as the rule sees it: who gave it and the roles they held when they did. */
export interface CountedApproval {
  readonly approver: string;
  readonly roles: readonly string[];
}

export function checkApprovalRule(rule: ApprovalRule): ApprovalRule {
  if (rule.groups.length === 0) throw new Error('an approval rule needs at least one group');
  for (const group of rule.groups) {
    if (!Number.isInteger(group.count) || group.count < 1) throw new Error(`the group of ${group.role} needs a whole count of at least 1`);
  }
  if (new Set(rule.groups.map((group) => group.role)).size !== rule.groups.length) throw new Error('an approval rule names each role once');
  return rule;
}

/** How many more approvers each group needs, after `approvals`. */
export function outstanding(rule: ApprovalRule, approvals: readonly CountedApproval[]): Map<string, number> {
  const needed = new Map(rule.groups.map((group) => [group.role, group.count]));
  const counted = new Set<string>();
  for (const approval of approvals) {
    if (counted.has(approval.approver)) continue;
    const group = rule.groups.find((g) => approval.roles.includes(g.role) && needed.get(g.role)! > 0);
    if (!group) continue;
    needed.set(group.role, needed.get(group.role)! - 1);
    counted.add(approval.approver);
  }
  return needed;
}

export function ruleSatisfied(rule: ApprovalRule, approvals: readonly CountedApproval[]): boolean {
  const left = [...outstanding(rule, approvals).values()];
  return rule.combine === 'all' ? left.every((n) => n === 0) : left.some((n) => n === 0);
}

/** Refuses an approver none of whose roles the rule asks for (or whose groups are already full). */
export function assertCounts(rule: ApprovalRule, approvals: readonly CountedApproval[], next: CountedApproval): void {
  const needed = outstanding(rule, approvals);
  if (rule.groups.some((group) => next.roles.includes(group.role) && needed.get(group.role)! > 0)) return;
  const wanted = rule.groups.filter((group) => needed.get(group.role)! > 0).map((group) => `${needed.get(group.role)} × ${group.role}`);
  throw new DomainError('WORKFLOW_APPROVER_NOT_ELIGIBLE', `${next.approver} holds none of the roles this run still needs (${wanted.join(rule.combine === 'all' ? ' and ' : ' or ')}).`);
}

export function describeRule(rule: ApprovalRule): string {
  return rule.groups.map((group) => `${group.count} × ${group.role}`).join(rule.combine === 'all' ? ' AND ' : ' OR ');
}
