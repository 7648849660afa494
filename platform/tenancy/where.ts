import type { SqlValue } from '../../kernel/warehouse/index.ts';
import { SqlFragment } from './tenant-scope.ts';

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

  /** The conditions as a fragment for `sql` (`1 = 1` when there are none: ClickHouse 18 has no TRUE). */
  toSql(): SqlFragment {
    return new SqlFragment(this.toString(), this.params);
  }

  toString(): string {
    return this.clauses.length ? this.clauses.join(' AND ') : '1 = 1';
  }
}
