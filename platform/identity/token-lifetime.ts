/** The longest a token may live unless COMPANYOS_MAX_TOKEN_TTL says otherwise. */
export const DEFAULT_MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** How far a token's `iat` may lie in the future: clocks of two machines differ a little. */
export const TOKEN_CLOCK_SKEW_SECONDS = 60;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds in a lifetime like `15m`, `24h`, `30d`, `2w` or a plain number of seconds; undefined when it is none of these. */
export function durationSeconds(text: string): number | undefined {
  const match = /^(\d+)\s*(s|sec|secs|m|min|mins|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's')[0]!]!;
}

/** A lifetime as people write it: `30d`, `12h`, `90s`. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['w', 604_800], ['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
