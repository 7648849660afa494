import type { RetentionClass } from '../../kernel/warehouse/index.ts';

/** The retention classes whose rows age out by a window (the table registry's `expiresBy`). */
export const EXPIRING_CLASSES = ['raw-events', 'quarantine', 'bills', 'run-history', 'decision-log', 'evidence', 'audit', 'financial-record'] as const satisfies readonly RetentionClass[];
export type ExpiringClass = (typeof EXPIRING_CLASSES)[number];

/** Days each class is kept; null keeps it for ever. */
export type RetentionWindows = Readonly<Record<ExpiringClass, number | null>>;

/**
 * Raw events and decisions a little over a year (a year-on-year comparison), bills 25 months, run history a
 * quarter, the quarantine a month; evidence content and the receipts' hidden fields 7 years (an audit's
 * look-back), invoices 10 years (the longest common legal period for commercial records).
 */
export const DEFAULT_RETENTION_DAYS: RetentionWindows = {
  'raw-events': 400,
  quarantine: 30,
  bills: 760,
  'run-history': 90,
  'decision-log': 400,
  evidence: 2555,
  audit: 2555,
  'financial-record': 3650,
};

export class RetentionWindowsError extends Error {
  override readonly name = 'RetentionWindowsError';
}

/**
 * Reads `class=days` pairs, comma-separated (`raw-events=400,quarantine=30`; `keep` for never)
 * over the defaults; refuses an unknown class or a window that is not a whole number of days.
 */
export function parseRetentionDays(text: string | undefined): RetentionWindows {
  const windows: Record<string, number | null> = { ...DEFAULT_RETENTION_DAYS };
  for (const pair of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name = '', value, extra] = pair.split('=').map((p) => p.trim());
    if (!EXPIRING_CLASSES.includes(name as ExpiringClass)) {
      throw new RetentionWindowsError(`"${name}" is not a retention class with a window; use one of ${EXPIRING_CLASSES.join(', ')}.`);
    }
    if (extra !== undefined || value === undefined || !(value === 'keep' || /^[1-9]\d{0,5}$/.test(value))) {
      throw new RetentionWindowsError(`${name} needs a whole number of days (1–999999) or "keep"; got "${pair}".`);
    }
    windows[name] = value === 'keep' ? null : Number(value);
  }
  return windows as RetentionWindows;
}
