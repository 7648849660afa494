/**
 * Runs `work` for each of `names` (a topological order) with at most `threads` at once: a name starts once every
 * one of its nearest ancestors in `names` has finished — through parents that are not in `names` (a view left out
 * of a selection still reads its own parent). Names start in the order given, as soon as they may.
 * If `work` throws, nothing more starts; the running ones are waited for, then the first error is thrown.
 */
export async function runInOrder(
  names: readonly string[],
  parentsOf: (name: string) => readonly string[],
  threads: number,
  work: (name: string) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a whole number ≥ 1, got ${threads}`);
  const nearest = nearestAncestors(names, parentsOf);
  const waitingOn = new Map(names.map((name) => [name, new Set(nearest(name))]));
  const children = new Map(names.map((name) => [name, [] as string[]]));
  for (const [name, parents] of waitingOn) for (const parent of parents) children.get(parent)!.push(name);
  const unstarted = [...names];
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;

  const startReady = () => {
    for (let i = 0; i < unstarted.length && running.size < threads && !failure; ) {
      const name = unstarted[i]!;
      if (waitingOn.get(name)!.size > 0) {
        i++;
        continue;
      }
      unstarted.splice(i, 1);
      const run: Promise<void> = Promise.resolve().then(() => work(name)).then(
        () => {
          for (const child of children.get(name)!) waitingOn.get(child)!.delete(name);
        },
        (error: unknown) => {
          failure ??= { error };
        },
      ).finally(() => running.delete(run));
      running.add(run);
    }
  };

  startReady();
  while (running.size > 0) {
    await Promise.race(running);
    startReady();
  }
  if (failure) throw failure.error;
  if (unstarted.length > 0) throw new Error(`never started (their parents never finished): ${unstarted.join(', ')}`);
}

/** Each name's nearest ancestors among `names`: its parents in `names`, and through those not in it, theirs. */
export function nearestAncestors(names: readonly string[], parentsOf: (name: string) => readonly string[]): (name: string) => ReadonlySet<string> {
  const included = new Set(names);
  const nearest = new Map<string, Set<string>>();
  const walk = (name: string): Set<string> => {
    let found = nearest.get(name);
    if (found) return found;
    nearest.set(name, (found = new Set()));
    for (const parent of parentsOf(name)) {
      if (parent === name) continue;
      if (included.has(parent)) found.add(parent);
      else for (const ancestor of walk(parent)) found.add(ancestor);
    }
    return found;
  };
  return walk;
}
