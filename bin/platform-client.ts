import { readFile } from 'node:fs/promises';
import { ApiError, generateInvoices, listEvents, listQuarantine, readFinopsSummary, recordTrueCosts, simulatePricing, TokenAuthority, type EventFilter, type ParkedEvent, type QuarantineFilter, type Role } from '../api/index.ts';
import { importBillFile, IngestPipeline, TENANT_ZERO, toNdjson, type BillFormat, type BillImportReport, type IngestResult, type TrueCost } from '../ingest/index.ts';

export type FinopsSummary = Awaited<ReturnType<typeof readFinopsSummary>>;
export type PricingSimulation = Awaited<ReturnType<typeof simulatePricing>>;
export type InvoiceRun = Awaited<ReturnType<typeof generateInvoices>>;
/** A what-if, as `POST /v1/finops/pricing:simulate` takes it. */
export interface PricingWhatIf {
  period: string;
  tier_moves: Record<string, string>;
  excluded_packs: string[];
}
import { buildProject, httpLineageSink, listBuildRuns, loadPricing, type BuildReport, type BuildRequest, type BuildRun } from '../transforms/index.ts';
import { migrateWarehouse, openWarehouse, type Warehouse } from '../warehouse/index.ts';
import { jwtSecret, warehouseConfig, type PlatformConfig } from './config.ts';
import { findRunningPlatform } from './running-platform.ts';
import { openLocalGate } from './local-gate.ts';
import type { PolicyAction } from '../policies/index.ts';

type LocalGate = Awaited<ReturnType<typeof openLocalGate>>;

/** A build as the CLI asks for it: the tenant is always summit-internal, the platform operator. */
export type ClientBuildRequest = Omit<BuildRequest, 'tenant' | 'lineageSink'>;

type Page<K extends string, T> = { [key in K]: T[] } & { next_cursor: string | null };

/**
 * What CLI commands need from the platform. With `companyos start` running it
 * goes through the API (DuckDB has one writer); otherwise it opens the
 * warehouse directly.
 */
export interface PlatformClient {
  readonly description: string;
  /** True when calls go to the running platform: a build's results then arrive together, at the end. */
  readonly remote: boolean;
  ingest(events: unknown[], submitter: string): Promise<IngestResult>;
  events(tenant: string, filter: EventFilter): Promise<Page<'events', Record<string, unknown>>>;
  quarantine(tenant: string, filter: QuarantineFilter): Promise<Page<'items', ParkedEvent>>;
  /** Builds the models as summit-internal (the running platform uses its own models and target folders). */
  build(request: ClientBuildRequest): Promise<BuildReport>;
  /** The latest recorded builds, newest first. */
  buildRuns(limit: number): Promise<BuildRun[]>;
  /** Imports a bill file as the operator (summit-internal). */
  importBill(path: string, options: { format?: BillFormat; fileName: string }): Promise<BillImportReport>;
  recordTrueCosts(simulationId: string, rows: TrueCost[]): Promise<void>;
  finopsSummary(): Promise<FinopsSummary>;
  /** SKU margins of a month as they are and under the what-if (the running platform prices with its own models folder). */
  simulatePricing(whatIf: PricingWhatIf): Promise<PricingSimulation>;
  /** Generates and delivers the month's invoices (the running platform uses its own webhook settings). */
  generateInvoices(period: string): Promise<InvoiceRun>;
  close(): Promise<void>;
}

export async function connectPlatform(config: PlatformConfig): Promise<PlatformClient> {
  const url = await findRunningPlatform(config.dataDir);
  const secret = await jwtSecret(config);
  if (url) return new HttpPlatformClient(url, new TokenAuthority(secret), { env: config.env, region: config.region });
  const warehouse = await openWarehouse(warehouseConfig(config));
  await migrateWarehouse(warehouse);
  return new LocalPlatformClient(warehouse, config, await openLocalGate(warehouse, config));
}

class LocalPlatformClient implements PlatformClient {
  readonly description: string;
  readonly remote = false;
  private readonly pipeline: IngestPipeline;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly config: PlatformConfig,
    private readonly local: LocalGate,
  ) {
    this.description = `the ${warehouse.engine} warehouse at ${warehouse.location}`;
    this.pipeline = new IngestPipeline(warehouse, { dedupeWindowDays: config.dedupeWindowDays });
  }

  ingest(events: unknown[], submitter: string): Promise<IngestResult> {
    return this.pipeline.ingest(events, { channel: 'file', submitter });
  }

  events(tenant: string, filter: EventFilter) {
    return listEvents(this.warehouse, tenant, filter);
  }

  quarantine(tenant: string, filter: QuarantineFilter) {
    return listQuarantine(this.warehouse, tenant, filter);
  }

  build(request: ClientBuildRequest): Promise<BuildReport> {
    const lineageSink = this.config.openLineageUrl ? httpLineageSink(this.config.openLineageUrl) : undefined;
    return this.privileged('run_transforms', { id: 'warehouse', kind: 'Warehouse' }, request, 'build', () =>
      buildProject(this.warehouse, { ...request, tenant: TENANT_ZERO, lineageSink }),
    );
  }

  buildRuns(limit: number): Promise<BuildRun[]> {
    return listBuildRuns(this.warehouse, TENANT_ZERO, limit);
  }

  importBill(path: string, options: { format?: BillFormat; fileName: string }): Promise<BillImportReport> {
    return this.privileged('import_bills', { id: 'bills', kind: 'Bills' }, { file: options.fileName, format: options.format }, 'bills import', () =>
      importBillFile(this.warehouse, path, { tenant: TENANT_ZERO, ...options }),
    );
  }

  recordTrueCosts(simulationId: string, rows: TrueCost[]): Promise<void> {
    return this.privileged('import_bills', { id: 'bills', kind: 'Bills' }, { simulationId, rows: rows.length }, 'simulate (true costs)', () =>
      recordTrueCosts(this.warehouse, TENANT_ZERO, simulationId, rows),
    );
  }

  finopsSummary(): Promise<FinopsSummary> {
    return readFinopsSummary(this.warehouse, TENANT_ZERO);
  }

  async simulatePricing(whatIf: PricingWhatIf): Promise<PricingSimulation> {
    const pricing = await loadPricing('models');
    if (!pricing) throw new ApiError('PRICING_INVALID', 'There is no models/finops/pricing.yaml to price SKUs with.');
    return simulatePricing(this.warehouse, TENANT_ZERO, whatIf.period, pricing, { tierMoves: whatIf.tier_moves, excludedPacks: whatIf.excluded_packs });
  }

  generateInvoices(period: string): Promise<InvoiceRun> {
    return this.privileged('generate_invoices', { id: 'invoices', kind: 'Invoices' }, { period }, 'invoices generate', () =>
      generateInvoices(this.warehouse, TENANT_ZERO, period, this.config.invoiceWebhook),
    );
  }

  async close(): Promise<void> {
    await this.local.close();
    await this.warehouse.close();
  }

  /** The same gate and receipt the API route would apply, receipt first: these actions cannot be undone. */
  private privileged<T>(action: PolicyAction, resource: { id: string; kind: string }, request: unknown, what: string, act: () => Promise<T>): Promise<T> {
    const { gate, principal } = this.local;
    return gate.runPrivileged(principal, action, { ...resource, tenant: TENANT_ZERO, data_class: 'confidential', region: principal.region }, request, what, act);
  }
}

/** A platform API failure, with the catalogue code it answered. */
export class PlatformApiError extends Error {
  override readonly name = 'PlatformApiError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

class HttpPlatformClient implements PlatformClient {
  readonly description: string;
  readonly remote = true;
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(
    private readonly url: string,
    private readonly authority: TokenAuthority,
    private readonly scope: { env: string; region: string },
  ) {
    this.description = `the running platform at ${url}`;
  }

  /** Sent as NDJSON so that lines of a file that are not JSON reach the platform as they were, and are parked. */
  ingest(events: unknown[], submitter: string): Promise<IngestResult> {
    return this.call('POST', '/v1/events', submitter, ['connector'], toNdjson(events));
  }

  events(tenant: string, filter: EventFilter) {
    return this.call<Page<'events', Record<string, unknown>>>('GET', `/v1/events?${query(filter)}`, tenant, ['reader']);
  }

  quarantine(tenant: string, filter: QuarantineFilter) {
    return this.call<Page<'items', ParkedEvent>>('GET', `/v1/quarantine?${query(filter)}`, tenant, ['reader']);
  }

  build(request: ClientBuildRequest): Promise<BuildReport> {
    const trigger = request.trigger === 'schedule' ? 'schedule' : undefined;
    const body = JSON.stringify({ select: request.select, exclude: request.exclude, full_refresh: request.fullRefresh, mode: request.mode, trigger });
    return this.call('POST', '/v1/transforms/build', TENANT_ZERO, ['operator'], body, 'application/json');
  }

  async buildRuns(limit: number): Promise<BuildRun[]> {
    return (await this.call<{ runs: BuildRun[] }>('GET', `/v1/transforms/runs?limit=${limit}`, TENANT_ZERO, ['reader'])).runs;
  }

  async close(): Promise<void> {}

  async importBill(path: string, options: { format?: BillFormat; fileName: string }): Promise<BillImportReport> {
    const params = new URLSearchParams({ file_name: options.fileName, ...(options.format ? { format: options.format } : {}) });
    return this.call('POST', `/v1/finops/bills?${params}`, TENANT_ZERO, ['operator'], await readFile(path), 'application/octet-stream');
  }

  async recordTrueCosts(simulationId: string, rows: TrueCost[]): Promise<void> {
    await this.call('POST', '/v1/finops/simulations/true-costs', TENANT_ZERO, ['operator'], JSON.stringify({ simulation_id: simulationId, rows }), 'application/json');
  }

  finopsSummary(): Promise<FinopsSummary> {
    return this.call('GET', '/v1/finops/summary', TENANT_ZERO, ['reader']);
  }

  simulatePricing(whatIf: PricingWhatIf): Promise<PricingSimulation> {
    return this.call('POST', '/v1/finops/pricing:simulate', TENANT_ZERO, ['reader'], JSON.stringify(whatIf), 'application/json');
  }

  generateInvoices(period: string): Promise<InvoiceRun> {
    return this.call('POST', `/v1/finops/invoices:generate?period=${encodeURIComponent(period)}`, TENANT_ZERO, ['operator']);
  }

  private async call<T>(method: string, path: string, tenant: string, roles: Role[], body?: string | Buffer, type = 'application/x-ndjson'): Promise<T> {
    const key = `${tenant}/${roles.join()}`;
    if (!this.tokens.has(key)) this.tokens.set(key, this.authority.mint({ tenant, roles, subject: 'companyos-cli', expiresIn: '1h', ...this.scope }));
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.tokens.get(key)}`,
        ...(body === undefined ? {} : { 'content-type': type }),
      },
      body,
    });
    const payload = (await response.json()) as T & { code?: string; message?: string };
    if (!response.ok) throw new PlatformApiError(payload.code ?? 'HTTP_ERROR', `${this.url}: ${payload.message ?? response.statusText}`);
    return payload;
  }
}

function query(filter: object): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    params.set(name, value instanceof Date ? value.toISOString() : String(value));
  }
  return params.toString();
}
