import { DomainError } from '../../kernel/errors/index.ts';

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

/** A secret rotation's parameters: how long the old secret stays in use beside the new one. */
export interface OverlapParams {
  /** Minutes the old secret keeps working (verifying, or signing beside the new one); default 24 h. */
  overlap_minutes: number;
}

const MAX_OVERLAP_MINUTES = 7 * 24 * 60;

/** Parses `{"overlap_minutes": 0…10080}` (default 1440) for the rotation type `type`. */
export function parseOverlap(type: string, input: unknown): OverlapParams {
  const { overlap_minutes: minutes = 24 * 60, ...rest } = (input ?? {}) as Record<string, unknown>;
  if (typeof (input ?? {}) !== 'object' || Array.isArray(input) || Object.keys(rest).length > 0 || !Number.isInteger(minutes) || (minutes as number) < 0 || (minutes as number) > MAX_OVERLAP_MINUTES) {
    throw new DomainError('WORKFLOW_PARAMS_INVALID', `${type}: params is {"overlap_minutes": 0…${MAX_OVERLAP_MINUTES}} (default 1440).`);
  }
  return { overlap_minutes: minutes as number };
}
