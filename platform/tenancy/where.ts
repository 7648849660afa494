import type { SqlValue } from '../../kernel/warehouse/index.ts';

/** Collects `AND`-ed conditions with their `?` parameters, in order. */
export class Where {
  private readonly clauses: string[] = [];
  readonly params: SqlValue[] = [];

  add(clause: string, ...values: SqlValue[]): this {
    this.clauses.push(clause);
    this.params.push(...values);
    return this;
  }

  /** Adds the clause only when `value` is given. */
  addIf(value: SqlValue | undefined, clause: string): this {
    return value === undefined || value === '' ? this : this.add(clause, value);
  }

  toString(): string {
    return this.clauses.length ? this.clauses.join(' AND ') : 'TRUE';
  }
}
