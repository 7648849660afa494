import { DomainError } from '../errors/index.ts';
import type { StateReader } from './state-store.ts';

interface Sequence {
  /** The next free number; undefined until first read from committed state. */
  next?: number;
  /** The transaction claiming it now, and what ends that claim. */
  holder?: object;
  released?: Promise<void>;
}

interface Held {
  key: string;
  /** `next` when this transaction took the sequence (undefined: not read yet): what a rollback puts back. */
  before?: number;
  release(): void;
}

/**
 * Sequences counted in memory, for an adapter that is its state's only writer (DuckDB: one process
 * holds the file). A transaction holds each sequence it claims until it ends, as PostgreSQL holds a
 * row lock: the numbers it took are given back at rollback, and another transaction waits meanwhile.
 */
export class SequenceClaims {
  private readonly sequences = new Map<string, Sequence>();
  private readonly held = new Map<object, Held[]>();

  /** The first of `count` numbers of `key` for the transaction `owner`; `head` reads the next free one when it is not known yet. */
  async claim(owner: object, key: string, count: number, head: (reader: StateReader) => Promise<number>, reader: StateReader): Promise<number> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`a sequence claim takes a positive count; got ${count}`);
    let sequence = this.sequences.get(key);
    if (!sequence) this.sequences.set(key, (sequence = {}));
    while (sequence.holder && sequence.holder !== owner) {
      if (this.held.has(owner)) {
        throw new DomainError('STATE_CONFLICT', `Another transaction holds the sequence ${key} while this one holds another: try again.`);
      }
      await sequence.released;
    }
    if (sequence.holder !== owner) {
      let release!: () => void;
      sequence.released = new Promise<void>((resolve) => (release = resolve));
      sequence.holder = owner;
      const mine = this.held.get(owner) ?? [];
      this.held.set(owner, mine);
      const claim: Held = { key, before: sequence.next, release };
      mine.push(claim);
      // Read while held, so no other claim counts from a number this one has not seen; a failed read fails the transaction.
      sequence.next ??= await head(reader);
      claim.before ??= sequence.next;
    }
    const first = sequence.next!;
    sequence.next = first + count;
    return first;
  }

  /** The transaction `owner` ended: its claims are released, and given back unless it committed. */
  end(owner: object, committed: boolean): void {
    const mine = this.held.get(owner);
    if (!mine) return;
    this.held.delete(owner);
    for (const { key, before, release } of mine) {
      const sequence = this.sequences.get(key)!;
      if (!committed) sequence.next = before;
      sequence.holder = undefined;
      release();
    }
  }
}
