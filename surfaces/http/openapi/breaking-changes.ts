import { apiCompare } from 'api-smart-diff';

/** A change to the contract marked as meant: the diff's path (joined with `/`) it covers, and why it is worth breaking clients. */
export interface IntendedBreakingChange {
  path: string;
  reason: string;
}

/** One breaking change api-smart-diff finds between two documents. */
export interface BreakingChange {
  path: string;
  action: string;
  description: string;
}

/**
 * The breaking changes from `released` to `current` (api-smart-diff's
 * classification) that no intended change covers: an intended change covers
 * every change at or under its path.
 */
export function unintendedBreakingChanges(released: object, current: object, intended: readonly IntendedBreakingChange[]): BreakingChange[] {
  const { diffs } = apiCompare(released, current);
  return diffs
    .filter((d) => d.type === 'breaking')
    .map((d) => ({ path: d.path.join('/'), action: d.action, description: d.description ?? '' }))
    .filter((change) => !intended.some(({ path }) => change.path === path || change.path.startsWith(`${path}/`)));
}
