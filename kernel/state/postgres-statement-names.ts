import type pg from 'pg';
import type { SqlValue } from '../warehouse/index.ts';
import { numberedPlaceholders, toPostgresParam } from './postgres-sql.ts';

/** How many texts get a name and which: those asked for again and again, short, with few parameters. */
export interface NamingLimits {
  /** Names handed out at most: each connection keeps every named statement it ran. */
  names: number;
  /** Uses of a text before it is named: a text made once (a list's length, a batch's row count) never is. */
  usesBeforeNaming: number;
  /** Texts counted at once before the count starts over. */
  countedTexts: number;
  /** Parameters and characters at most of a named text (multi-row VALUES and long IN lists go unnamed). */
  params: number;
  textLength: number;
}

const DEFAULT_LIMITS: NamingLimits = { names: 500, usesBeforeNaming: 3, countedTexts: 5_000, params: 1_000, textLength: 4_096 };

/**
 * Names for the statements a store runs again and again: a connection parses a named statement once and keeps it
 * (and, once PostgreSQL settles on one, its plan). Parsing and planning every statement anew was most of PostgreSQL's
 * CPU, which on a machine shared with the platform saturated it below 500 req/s (`bench:api-flows -- --state
 * postgresql`, benchmarks/README.md).
 */
export class StatementNames {
  private readonly named = new Map<string, { text: string; name: string }>();
  private readonly uses = new Map<string, number>();
  private handedOut = 0;

  constructor(private readonly limits: NamingLimits = DEFAULT_LIMITS) {}

  /** How `pg` is asked to run `sql`: without parameters as a text (the simple protocol), else named once it has earned it. */
  config(sql: string, params: readonly SqlValue[]): pg.QueryConfig {
    if (params.length === 0) return { text: sql };
    const values = params.map(toPostgresParam);
    const named = this.named.get(sql);
    if (named) return { ...named, values };
    const text = numberedPlaceholders(sql);
    if (this.earnsName(sql, params.length)) {
      const name = `companyos_${this.handedOut++}`;
      this.named.set(sql, { text, name });
      return { text, name, values };
    }
    return { text, values };
  }

  /**
   * After PostgreSQL refused a kept statement because a table change altered what it answers (SQLSTATE 0A000, "cached
   * plan must not change result type"), the text is named anew once used again: the old name stays on the connections
   * that kept it. A state table's columns change only by a migration (`ensureStateSchema` refuses a process whose
   * declaration differs), so this is a change made behind the platform's back.
   */
  forget(error: unknown, sql: string): void {
    const { code, message } = error as { code?: string; message?: string };
    if (code === '0A000' && /cached plan must not change result type/.test(message ?? '')) this.named.delete(sql);
  }

  private earnsName(sql: string, params: number): boolean {
    const { names, usesBeforeNaming, countedTexts, params: maxParams, textLength } = this.limits;
    if (this.named.size >= names || params > maxParams || sql.length > textLength) return false;
    const uses = (this.uses.get(sql) ?? 0) + 1;
    if (uses >= usesBeforeNaming) {
      this.uses.delete(sql);
      return true;
    }
    if (this.uses.size >= countedTexts) this.uses.clear();
    this.uses.set(sql, uses);
    return false;
  }
}
