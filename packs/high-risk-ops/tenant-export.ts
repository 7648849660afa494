import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import { listEvents } from '../../platform/ingest/index.ts';
import { sql, type TenantScope } from '../../platform/tenancy/index.ts';
import type { StepContext, WorkflowType } from '../../platform/workflows/index.ts';

const HOUR = 60 * 60 * 1000;
const PAGE = 1000;

export interface TenantExportParams {
  /** Events from this time (inclusive), ISO 8601; all when absent. */
  from?: string;
  /** Events before this time, ISO 8601; all when absent. */
  to?: string;
}

export interface TenantExportServices {
  /** A tenant's rows only (TenantScope): what an export reads. */
  scope(tenant: string): TenantScope;
  /** Where export files are written, one folder per tenant. */
  exportsDir: string;
  /** Writes the platform's queued events (workflow metering), so an export holds the runs' transitions up to its own. */
  flushEvents(): Promise<void>;
}

/** The export file of a run, in its tenant's folder (what the download route serves). */
export function exportFile(exportsDir: string, tenant: string, runId: string): string {
  return join(exportsDir, encodeURIComponent(tenant), `${runId}.ndjson`);
}

/**
 * A tenant's data export, dual-controlled: the `export` the policies name, only as a governed run.
 * Preflight counts the events it would export (what the approver weighs); execute writes them as
 * NDJSON CloudEvents, page by page through the tenant's scope, to a file named by the run (a retry
 * writes it again whole) and records its SHA-256; verify reads the file back and checks the hash and
 * the count. The hash is in the run's receipted evidence; the requester downloads the file with
 * `GET /v1/workflows/runs/{id}/export`.
 */
export function tenantExport(services: TenantExportServices): WorkflowType<TenantExportParams> {
  const range = (context: StepContext<TenantExportParams>) => ({
    from: context.params.from ? new Date(context.params.from) : undefined,
    to: context.params.to ? new Date(context.params.to) : undefined,
  });
  return {
    name: 'tenant-export',
    pack: 'high-risk-ops',
    description: 'Export the tenant\'s events as NDJSON CloudEvents (dual-controlled), hashed into the receipted evidence; the requester downloads the file.',
    parseParams: parseExport,
    approval: { combine: 'all', groups: [{ role: 'approver', count: 1 }] },
    separateDuties: true,
    rationale: { categories: ['customer-request', 'legal-hold', 'migration', 'compliance'], minLength: 20 },
    approvalExpiryMs: 48 * HOUR,
    approvalSlaMs: 8 * HOUR,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context) {
          const { from, to } = range(context);
          await services.flushEvents();
          const scope = services.scope(context.tenant);
          const conditions = [...(from ? [sql`time >= ${from}`] : []), ...(to ? [sql`time < ${to}`] : [])];
          const where = conditions.length ? conditions.reduce((a, b) => sql`${a} AND ${b}`) : undefined;
          const [row] = await scope.query<{ n: number | string }>(sql`SELECT count(*) AS n FROM ${scope.table('events', { deduplicated: true, where })}`);
          const events = Number(row?.n ?? 0);
          context.log(`${events} events of ${context.tenant} ${from ? `from ${from.toISOString()} ` : ''}${to ? `before ${to.toISOString()}` : ''}would be exported`);
          return { events };
        },
      },
      execute: {
        onInterrupt: 'retry',
        async run(context) {
          const path = exportFile(services.exportsDir, context.tenant, context.runId);
          await mkdir(join(path, '..'), { recursive: true });
          const partial = `${path}.partial`;
          const file = await open(partial, 'w');
          const hash = createHash('sha256');
          let events = 0;
          let bytes = 0;
          await services.flushEvents();
          try {
            let cursor: string | undefined;
            do {
              const page = await listEvents(services.scope(context.tenant), { ...range(context), limit: PAGE, cursor });
              const text = page.events.map((event) => `${JSON.stringify(event)}\n`).join('');
              await file.write(text);
              hash.update(text);
              events += page.events.length;
              bytes += Buffer.byteLength(text);
              cursor = page.next_cursor ?? undefined;
            } while (cursor);
            await file.sync();
          } finally {
            await file.close();
          }
          await rename(partial, path);
          const sha256 = hash.digest('hex');
          context.log(`wrote ${events} events (${bytes} bytes) to ${context.runId}.ndjson, sha256 ${sha256}`);
          return { file: `${context.runId}.ndjson`, events, bytes, sha256 };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          const written = context.outputs.execute as { events: number; sha256: string };
          const bytes = await readFile(exportFile(services.exportsDir, context.tenant, context.runId));
          const sha256 = createHash('sha256').update(bytes).digest('hex');
          const lines = bytes.length === 0 ? 0 : bytes.toString('utf8').split('\n').length - 1;
          if (sha256 !== written.sha256 || lines !== written.events) throw new Error(`the export file changed after it was written (sha256 ${sha256}, ${lines} lines)`);
          context.log(`the file reads back: ${lines} events, sha256 ${sha256}`);
          return { sha256, events: lines };
        },
      },
    },
  };
}

function parseExport(input: unknown): TenantExportParams {
  const invalid = (why: string) => new DomainError('WORKFLOW_PARAMS_INVALID', `tenant-export: ${why}`);
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw invalid('params is an object: {"from": "<ISO time>", "to": "<ISO time>"}, both optional.');
  const { from, to, ...rest } = input as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw invalid(`unknown parameter(s) ${Object.keys(rest).slice(0, 5).join(', ')}.`);
  for (const [name, value] of [['from', from], ['to', to]] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.length > 40 || Number.isNaN(Date.parse(value)))) throw invalid(`${name} is an ISO 8601 time.`);
  }
  if (typeof from === 'string' && typeof to === 'string' && Date.parse(from) >= Date.parse(to)) throw invalid('from comes before to.');
  return { ...(from ? { from: from as string } : {}), ...(to ? { to: to as string } : {}) };
}
