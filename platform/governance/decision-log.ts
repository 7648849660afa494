import { ACTIONS, NAMESPACE } from '../../kernel/policies/index.ts';
import type { Logger } from '../../kernel/log/index.ts';
import type { StateReader } from '../../kernel/state/index.ts';
import type { SqlValue, Warehouse } from '../../kernel/warehouse/index.ts';
import { BufferedWriter, liveBatchesWritten, liveBatchGuardMs } from '../../kernel/warehouse/index.ts';

/** One decision, in the fields of OPA's decision log plus Cedar's reasons. */
export interface DecisionRecord {
  decision_id: string;
  timestamp: string;
  /** The policy path: `cedar/<namespace>/<action>`. */
  path: string;
  input: { principal: string; action: string; resource: string; context: Record<string, unknown> };
  result: { decision: 'allow' | 'deny'; reasons: string[]; errors: string[] };
  bundles: Record<string, { revision: string }>;
  erased: string[];
  masked: string[];
  trace_id: string;
  tenant: string;
  resource_tenant: string;
  method: string;
  route: string;
}

export interface DecisionFilter {
  decision?: 'allow' | 'deny';
  action?: string;
  principal?: string;
  since?: Date;
  limit: number;
}

/** How far before the newest stored decision a receipt may still cite one that was lost. */
const RECOVERY_MARGIN_MS = 60_000;
/** Receipts read at a time when looking for decisions a kill lost (a few MB of their text). */
const RECEIPTS_PAGE = 8_000;
/** Decision ids looked up in one query (a UUID takes ~40 bytes of SQL: well inside ClickHouse's 256 KiB `max_query_size`). */
const IDS_PER_LOOKUP = 4_000;
/** The ids the gate gives its decisions (`newDecisionId`). */
const GATE_DECISION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * The receipts of actions the gate decided (and logged): a policy action, or a login. Receipts of the platform's own
 * steps (`workflow.…`, `erasure.purged`, `revops.quote.approve` citing its run) cite no logged decision.
 */
const GATE_RECEIPT_ACTIONS: ReadonlySet<string> = new Set([...ACTIONS, 'identity.login']);


/** A receipt that cites a decision: its tenant's log and its signed statement. */
interface CitingReceipt {
  tenant: string;
  payload: ReceiptPayload;
}

interface ReceiptPayload {
  subject: { name: string }[];
  predicate: { receiptId: string; action: string; actor: string; decisionId: string; bundleRevision: string; time: string };
}

const COLUMNS = [
  'tenant_id', 'decision_id', 'decided_at', 'path', 'principal', 'action', 'resource', 'resource_tenant', 'decision', 'reasons',
  'input', 'result', 'bundle_name', 'bundle_revision', 'erased', 'masked', 'trace_id', 'method', 'route',
] as const;

/**
 * Decisions are written in batches, off the request path: the gate answers at
 * Cedar's speed, not the warehouse's. Readers flush first (and, in the first
 * seconds after a start that found decisions missing, wait for their recovery),
 * so what the API returns includes every decision taken before the query.
 */
export class DecisionLog {
  private readonly writer: BufferedWriter<SqlValue[]>;
  private stored = 0;
  private queued = 0;
  /** Aborted by `close`: the deferred check of the receipts of the last few seconds at start (`recoverFromReceipts`) is not made then. */
  private readonly closing = new AbortController();
  private recentRecovery: Promise<number> | undefined;
  /** Readers wait for it, so that what they read includes what it restores (settled at once when nothing was missing). */
  private recentChecked: Promise<unknown> = Promise.resolve();
  /** Restores take turns (`restoreSpan`). */
  private restoring: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly warehouse: Warehouse,
    /** Where write failures are reported (also used by the gate for its own). */
    readonly log: Pick<Logger, 'error'>,
    flushAfterMs = warehouse.capabilities.batchWindowMs,
    /** Receipts read at a time when looking for decisions a kill lost. */
    private readonly receiptsPage = RECEIPTS_PAGE,
  ) {
    this.writer = new BufferedWriter(
      async (rows) => {
        await this.warehouse.insert('policy_decisions', COLUMNS, rows);
        this.stored += rows.length;
      },
      (error, pending) => this.log.error({ err: error, decisions: pending }, 'decision log write failed; retrying'),
      { flushAfterMs, maxBatch: 1000 },
    );
  }

  /** Decisions written to the warehouse since the start. */
  get count(): number {
    return this.stored;
  }

  record(record: DecisionRecord): void {
    this.queued++;
    const [bundle, { revision }] = Object.entries(record.bundles)[0] ?? ['', { revision: '' }];
    this.writer.push([
      record.tenant, record.decision_id, new Date(record.timestamp), record.path, record.input.principal, record.input.action,
      record.input.resource, record.resource_tenant, record.result.decision, JSON.stringify(record.result.reasons),
      JSON.stringify(record.input), JSON.stringify(record.result), bundle, revision, JSON.stringify(record.erased),
      JSON.stringify(record.masked), record.trace_id, record.method, record.route,
    ]);
  }

  /** Decisions recorded since the start (written or still queued). */
  get recorded(): number {
    return this.queued;
  }

  /** Resolves when every decision recorded so far is in the warehouse. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Writes what is queued: true once every decision recorded before the call is stored, false when that write failed. */
  written(): Promise<boolean> {
    return this.writer.written();
  }

  /**
   * Restores each decision cited by a receipt appended in [`since`, `until`) that the log lacks (what a dead process
   * had queued: `QueueMarks`); answers how many. This process's own queue is written first, so none of its decisions
   * is taken for missing and stored twice; decisions other live processes still hold must be newer than `until`.
   */
  async restoreBetween(bundleName: string, state: StateReader, since: Date, until: Date): Promise<number> {
    if (!(await this.writer.written())) throw new Error('the decision log could not write its own queue');
    return this.restoreSpan(bundleName, state, since, until, true);
  }

  /**
   * Decisions are batched in memory, so a SIGKILL loses the last batch window of them (`capabilities.batchWindowMs`); receipts are not.
   * On start, each receipt that cites a decision the log lacks gets it back, rebuilt from the signed
   * receipt (principal, action, target, bundle revision, time; `erased` names what only memory held).
   * Receipts are read from the state store (`state`). Only receipts appended since shortly before the newest stored decision can cite a lost one.
   * Where other processes write the same log (`concurrentWriters`), a receipt of the last few seconds may cite a decision still in a
   * live writer's batch: those are checked once that batch must have been written (`recent`), so no decision is stored twice.
   * Until then readers wait, when some of them were missing at start.
   */
  async recoverFromReceipts(bundleName: string, state: StateReader, now = new Date()): Promise<{ recovered: number; recent: Promise<number> }> {
    const [newest] = await this.warehouse.query('SELECT max(decided_at) AS at FROM policy_decisions');
    // An empty log answers NULL (DuckDB) or the zero date (ClickHouse): every receipt is then a candidate.
    const newestAt = newest?.at instanceof Date ? newest.at.getTime() : NaN;
    const since = new Date(Number.isFinite(newestAt) ? Math.max(0, newestAt - RECOVERY_MARGIN_MS) : 0);
    const guardMs = liveBatchGuardMs(this.warehouse.capabilities);
    const settled = new Date(now.getTime() - guardMs);
    const recovered = await this.restoreSpan(bundleName, state, since, guardMs > 0 ? settled : undefined, false);
    if (guardMs === 0) return { recovered, recent: Promise.resolve(0) };
    // Always looked at again at the deadline (a receipt committing late is dated inside the span); readers wait for that
    // only when some decision was missing at the start.
    const missingAtStart = (await this.missingBetween(state, settled, now)).length > 0;
    const recent = (async () => {
      if (!(await liveBatchesWritten(now.getTime(), guardMs, this.closing.signal))) return 0;
      this.recentRecovery = this.restoreSpan(bundleName, state, settled, now, false);
      return this.recentRecovery;
    })();
    // Handled here whatever the caller does with `recent`: a failed check must not bring the process down.
    const checked = recent.catch(() => undefined);
    if (missingAtStart) this.recentChecked = checked;
    return { recovered, recent };
  }

  /**
   * The receipts appended in [`from`, `until`) (no upper bound when `until` is absent) citing a gate decision the log
   * lacks, read a page at a time (a span of hours can hold more receipts than memory should).
   */
  private async missingBetween(state: StateReader, from: Date, until: Date | undefined): Promise<[string, CitingReceipt][]> {
    const missing: [string, CitingReceipt][] = [];
    const seen = new Set<string>();
    let after: SqlValue[] | undefined;
    for (;;) {
      const where = ['appended_at >= ?', ...(until ? ['appended_at < ?'] : []), ...(after ? ['(appended_at, tenant_id, log_index) > (?, ?, ?)'] : [])];
      const entries = await state.query<{ tenant_id: string; log_index: number; appended_at: Date; entry: string }>(
        `SELECT tenant_id, log_index, appended_at, entry FROM ledger_entries WHERE ${where.join(' AND ')} ORDER BY appended_at, tenant_id, log_index LIMIT ${this.receiptsPage}`,
        [from, ...(until ? [until] : []), ...(after ?? [])],
      );
      const cited = new Map<string, CitingReceipt>();
      for (const row of entries) {
        const payload = JSON.parse(Buffer.from((JSON.parse(String(row.entry)) as { payload: string }).payload, 'base64').toString('utf8')) as ReceiptPayload;
        const { decisionId, action } = payload.predicate;
        if (!GATE_RECEIPT_ACTIONS.has(action) || !GATE_DECISION_ID.test(decisionId) || seen.has(decisionId)) continue;
        seen.add(decisionId);
        cited.set(decisionId, { tenant: String(row.tenant_id), payload });
      }
      const ids = [...cited.keys()];
      const known = new Set<string>();
      for (let at = 0; at < ids.length; at += IDS_PER_LOOKUP) {
        const chunk = ids.slice(at, at + IDS_PER_LOOKUP);
        const rows = await this.warehouse.query(`SELECT decision_id FROM policy_decisions WHERE decision_id IN (${chunk.map(() => '?').join(', ')})`, chunk);
        for (const row of rows) known.add(String(row.decision_id));
      }
      missing.push(...[...cited].filter(([id]) => !known.has(id)));
      if (entries.length < this.receiptsPage) return missing;
      const last = entries.at(-1)!;
      const next = [last.appended_at, last.tenant_id, last.log_index];
      // A cursor that does not move would read the same page for ever (a timestamp finer than a Date can hold).
      if (after && next.every((value, i) => String(value) === String(after![i]))) throw new Error('the receipts could not be read past one page');
      after = next;
    }
  }

  /** Restores the decisions missing for the receipts of a span, one span at a time: two overlapping checks never both restore one. */
  private restoreSpan(bundleName: string, state: StateReader, from: Date, until: Date | undefined, confirm: boolean): Promise<number> {
    const run = this.restoring.then(async () => this.restore(bundleName, await this.missingBetween(state, from, until), confirm));
    this.restoring = run.catch(() => undefined);
    return run;
  }

  /**
   * Records each missing decision, rebuilt from the receipt that cites it, and writes them; answers how many. With
   * `confirm`, throws when the warehouse did not take them (a recovery that holds a mark must not let it move on);
   * without (a start), the write is retried and the process's own mark stays before them until it succeeds.
   */
  private async restore(bundleName: string, missing: [string, CitingReceipt][], confirm: boolean): Promise<number> {
    for (const [id, { tenant, payload }] of missing) {
      const { predicate, subject } = payload;
      this.record({
        decision_id: id,
        timestamp: predicate.time,
        path: `cedar/${NAMESPACE}/${predicate.action}`,
        input: { principal: predicate.actor, action: predicate.action, resource: subject[0]?.name ?? '', context: { recovered_from_receipt: predicate.receiptId } },
        result: { decision: 'allow', reasons: [], errors: [] },
        bundles: { [bundleName]: { revision: predicate.bundleRevision } },
        erased: ['input.context', 'result.reasons', 'trace_id', 'method', 'route'],
        masked: [],
        trace_id: '',
        tenant: predicate.actor.includes('/') ? predicate.actor.split('/')[0]! : tenant,
        resource_tenant: tenant,
        method: '',
        route: '',
      });
    }
    if (missing.length > 0 && !(await this.writer.written())) {
      if (confirm) throw new Error('the warehouse did not take the decisions restored from receipts');
      this.log.error({ decisions: missing.length }, 'the decisions restored from receipts are not written yet; retrying');
    }
    return missing.length;
  }

  /** Answers whether every decision recorded was written (false: the last ones are lost, for a recovery to restore). */
  async close(): Promise<boolean> {
    this.closing.abort();
    await this.recentRecovery?.catch(() => undefined);
    return this.writer.close();
  }

  /**
   * Every tenant's decisions since `since`, newest first: what a change of the platform-wide
   * policy bundle is replayed against. Only for the platform's own workflows, never a tenant's read.
   */
  async since(since: Date, limit: number): Promise<DecisionRecord[]> {
    await this.recentChecked;
    await this.flush();
    const rows = await this.warehouse.query(`SELECT * FROM policy_decisions WHERE decided_at >= ? ORDER BY decided_at DESC, decision_id LIMIT ${limit}`, [since]);
    return withoutRestoredCopies(rows.map(toRecord));
  }

  /** Decisions taken by a tenant's principals or about its resources, newest first. */
  async query(tenant: string, filter: DecisionFilter): Promise<DecisionRecord[]> {
    await this.recentChecked;
    await this.flush();
    const where = ['(tenant_id = ? OR resource_tenant = ?)'];
    const params: SqlValue[] = [tenant, tenant];
    const conditions: [string, SqlValue | undefined][] = [
      ['decision = ?', filter.decision],
      ['action = ?', filter.action],
      ['principal = ?', filter.principal],
      ['decided_at >= ?', filter.since],
    ];
    for (const [condition, value] of conditions) {
      if (value === undefined) continue;
      where.push(condition);
      params.push(value);
    }
    const rows = await this.warehouse.query(
      `SELECT * FROM policy_decisions WHERE ${where.join(' AND ')} ORDER BY decided_at DESC, decision_id LIMIT ${filter.limit}`,
      params,
    );
    return withoutRestoredCopies(rows.map(toRecord));
  }
}

/**
 * Each decision once: a replica paused past its mark's lifetime writes its queued decisions after another restored
 * them, and two restorers can race, so storage may hold a decision and a copy restored from its receipt (`erased`
 * names what the copy lacks). The original is kept where both are read.
 */
function withoutRestoredCopies(records: DecisionRecord[]): DecisionRecord[] {
  const kept = new Map<string, DecisionRecord>();
  for (const record of records) {
    const seen = kept.get(record.decision_id);
    if (!seen || (seen.erased.length > 0 && record.erased.length === 0)) kept.set(record.decision_id, record);
  }
  return [...kept.values()];
}

function toRecord(row: Record<string, unknown>): DecisionRecord {
  return {
    decision_id: String(row.decision_id),
    timestamp: (row.decided_at as Date).toISOString(),
    path: String(row.path),
    input: JSON.parse(String(row.input)),
    result: JSON.parse(String(row.result)),
    bundles: { [String(row.bundle_name)]: { revision: String(row.bundle_revision) } },
    erased: JSON.parse(String(row.erased)),
    masked: JSON.parse(String(row.masked)),
    trace_id: String(row.trace_id),
    tenant: String(row.tenant_id),
    resource_tenant: String(row.resource_tenant),
    method: String(row.method),
    route: String(row.route),
  };
}
