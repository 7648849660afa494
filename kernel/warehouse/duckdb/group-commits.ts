/**
 * Group commit per key: a part that arrives while its key's previous group is being written joins the next group,
 * which starts once that one is done and writes all its parts at once. `write` gets a group's parts and answers
 * each part's own error when they could not be written together (undefined: every part was written).
 */
export class GroupCommits<Part> {
  private readonly open = new Map<string, Group<Part>>();
  /** Per key, the group being written: the next one starts after it. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly write: (key: string, parts: readonly Part[]) => Promise<readonly unknown[] | undefined>,
    /** Called with each group's run, settled either way: what must wait for writes in flight (a close) holds it. */
    private readonly track: (run: Promise<void>) => void,
  ) {}

  /** Writes `part` with whatever else of its key arrives meanwhile; settles with its own outcome. */
  add(key: string, part: Part): Promise<void> {
    const joined = this.open.get(key);
    if (joined) return outcome(joined, joined.parts.push(part) - 1);
    const group: Group<Part> = { parts: [part], done: Promise.resolve() };
    this.open.set(key, group);
    const previous = this.chains.get(key) ?? Promise.resolve();
    group.done = previous.then(async () => {
      // From here on, new parts start the next group.
      if (this.open.get(key) === group) this.open.delete(key);
      group.failed = await this.write(key, group.parts);
    });
    const chain = group.done.catch(() => undefined);
    this.chains.set(key, chain);
    this.track(chain);
    void chain.then(() => {
      if (this.chains.get(key) === chain) this.chains.delete(key);
    });
    return outcome(group, 0);
  }
}

interface Group<Part> {
  parts: Part[];
  done: Promise<void>;
  /** When the parts could not be written together: each part's own outcome (undefined = written). */
  failed?: readonly unknown[];
}

/** What the group's part at `index` comes to: written, or its own error. */
async function outcome<Part>(group: Group<Part>, index: number): Promise<void> {
  await group.done;
  const error = group.failed?.[index];
  if (error) throw error;
}
