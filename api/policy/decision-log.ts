import type { FastifyBaseLogger } from 'fastify';
import type { SqlValue, Warehouse } from '../../warehouse/index.ts';
import { BufferedWriter } from '../buffered-writer.ts';

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

const COLUMNS = [
  'tenant_id', 'decision_id', 'decided_at', 'path', 'principal', 'action', 'resource', 'resource_tenant', 'decision', 'reasons',
  'input', 'result', 'bundle_name', 'bundle_revision', 'erased', 'masked', 'trace_id', 'method', 'route',
] as const;

/**
 * Decisions are written in batches, off the request path: the gate answers at
 * Cedar's speed, not the warehouse's. Readers flush first, so what the API
 * returns includes every decision taken before the query.
 */
export class DecisionLog {
  private readonly writer: BufferedWriter<SqlValue[]>;
  private written = 0;

  constructor(
    private readonly warehouse: Warehouse,
    /** Where write failures are reported (also used by the gate for its own). */
    readonly log: Pick<FastifyBaseLogger, 'error'>,
    flushAfterMs = 200,
  ) {
    this.writer = new BufferedWriter(
      async (rows) => {
        await this.warehouse.insert('policy_decisions', COLUMNS, rows);
        this.written += rows.length;
      },
      (error, pending) => this.log.error({ err: error, decisions: pending }, 'decision log write failed; retrying'),
      { flushAfterMs, maxBatch: 1000 },
    );
  }

  /** Decisions written to the warehouse since the start. */
  get count(): number {
    return this.written;
  }

  record(record: DecisionRecord): void {
    const [bundle, { revision }] = Object.entries(record.bundles)[0] ?? ['', { revision: '' }];
    this.writer.push([
      record.tenant, record.decision_id, new Date(record.timestamp), record.path, record.input.principal, record.input.action,
      record.input.resource, record.resource_tenant, record.result.decision, JSON.stringify(record.result.reasons),
      JSON.stringify(record.input), JSON.stringify(record.result), bundle, revision, JSON.stringify(record.erased),
      JSON.stringify(record.masked), record.trace_id, record.method, record.route,
    ]);
  }

  /** Resolves when every decision recorded so far is in the warehouse. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Like `flush`, but rejects when the write failed: a receipt may only cite a decision that is stored. */
  persist(): Promise<void> {
    return this.writer.persist();
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  /** Decisions taken by a tenant's principals or about its resources, newest first. */
  async query(tenant: string, filter: DecisionFilter): Promise<DecisionRecord[]> {
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
    return rows.map((row) => ({
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
    }));
  }
}
