const HOUR = 60 * 60 * 1000;

/** Who decides a rotation of one of the platform's own secrets (the ledger's signing key, the token secret), and how fast. */
export const SECRET_ROTATION_GOVERNANCE = {
  scope: 'platform',
  approval: { combine: 'all', groups: [{ role: 'approver', count: 1 }] },
  separateDuties: true,
  rationale: { categories: ['security', 'compliance', 'incident'], minLength: 20 },
  approvalExpiryMs: 24 * HOUR,
  approvalSlaMs: 4 * HOUR,
} as const;
