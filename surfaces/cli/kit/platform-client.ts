import { readFile } from 'node:fs/promises';
import { DomainError } from '../../../kernel/errors/index.ts';
import { generateInvoices, readFinopsSummary, recordTrueCosts, simulatePricing } from '../../../packs/finops/index.ts';
import { listEvents, listQuarantine, type EventFilter, type ParkedEvent, type QuarantineFilter } from '../../../platform/ingest/index.ts';
import { TokenAuthority, type Role } from '../../../platform/identity/index.ts';
import type { IngestPipeline} from '../../../platform/ingest/index.ts';
import { toNdjson } from '../../../platform/ingest/index.ts';
import { importBillFile, type BillFormat, type BillImportReport, type TrueCost } from '../../../packs/finops/index.ts';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';

export type FinopsSummary = Awaited<ReturnType<typeof readFinopsSummary>>;
export type PricingSimulation = Awaited<ReturnType<typeof simulatePricing>>;
export type InvoiceRun = Awaited<ReturnType<typeof generateInvoices>>;
/** A what-if, as `POST /v1/finops/pricing:simulate` takes it. */
export interface PricingWhatIf {
  period: string;
  tier_moves: Record<string, string>;
  excluded_packs: string[];
}
import { httpLineageSink, listBuildRuns, type BuildReport, type BuildRequest, type BuildRun } from '../../../platform/transforms/index.ts';
import { loadPricing } from '../../../packs/finops/index.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { CompanyOsApiError, createCompanyOsClient, unwrap, type ApiResult, type CompanyOsClient, type operations } from '../../../clients/typescript/index.ts';
import { jwtSecret, type PlatformConfig } from './config.ts';
import { findRunningPlatform } from './running-platform.ts';
import { invoiceWebhookOf } from './invoice-webhook.ts';
import type { Platform } from '../../compose/index.ts';
import { openLocalPlatform } from './local-platform.ts';
import type { Principal } from '../../../platform/identity/index.ts';
import type { PolicyAction } from '../../../kernel/policies/index.ts';


/** What `POST /v1/events` answers, as the contract has it (a rejection's `code` is any string there: new codes are no breaking change). */
export type IngestReply = operations['ingestEvents']['responses'][202]['content']['application/json'];

/** A build as the CLI asks for it: the tenant is always summit-internal, the platform operator. */
export type ClientBuildRequest = Omit<BuildRequest, 'tenant' | 'lineageSink' | 'generators'>;

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
  ingest(events: unknown[], submitter: string): Promise<IngestReply>;
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
  /** Rotating the ledger key by hand: always refused (it is governed), the attempt recorded as a policy violation. */
  rotateLedgerKeyDirectly(): Promise<never>;
  close(): Promise<void>;
}

export async function connectPlatform(config: PlatformConfig): Promise<PlatformClient> {
  const url = await findRunningPlatform(config.dataDir);
  const secret = await jwtSecret(config);
  if (url) return new HttpPlatformClient(url, new TokenAuthority(secret), { env: config.env, region: config.region });
  const platform = await openLocalPlatform(config);
  return new LocalPlatformClient(platform, config);
}

/** A client on a platform this process already runs (`companyos start`): gated and receipted as the CLI is; closing it closes the platform. */
export function localPlatformClient(platform: Platform, config: PlatformConfig): PlatformClient {
  return new LocalPlatformClient(platform, config);
}

class LocalPlatformClient implements PlatformClient {
  readonly description: string;
  readonly remote = false;
  private readonly warehouse: Warehouse;
  private readonly pipeline: IngestPipeline;
  private readonly principal: Principal;

  constructor(
    private readonly platform: Platform,
    private readonly config: PlatformConfig,
  ) {
    this.warehouse = platform.warehouse;
    this.description = `the ${this.warehouse.engine} warehouse at ${this.warehouse.location}`;
    this.pipeline = platform.pipeline;
    // Whoever holds the data dir holds the JWT secret too: the CLI acts as summit-internal's operator.
    this.principal = { tenant: TENANT_ZERO, roles: ['operator'], subject: 'companyos-cli', env: config.env, region: config.region };
  }

  ingest(events: unknown[], submitter: string): Promise<IngestReply> {
    return this.pipeline.ingest(events, { channel: 'file', submitter });
  }

  async events(tenant: string, filter: EventFilter) {
    await this.platform.flushEvents();
    return listEvents(this.platform.scope(tenant), filter);
  }

  quarantine(tenant: string, filter: QuarantineFilter) {
    return listQuarantine(this.platform.scope(tenant), filter);
  }

  async build(request: ClientBuildRequest): Promise<BuildReport> {
    const lineageSink = this.config.openLineageUrl ? httpLineageSink(this.config.openLineageUrl) : undefined;
    // Taken before the receipt, as the API does: a build running elsewhere on this warehouse refuses this one unrecorded.
    const slot = await this.platform.builds.reserve();
    try {
      return await this.privileged('run_transforms', { id: 'warehouse', kind: 'Warehouse' }, request, 'build', () =>
        this.platform.builds.run(this.warehouse, { ...request, generators: this.platform.generators, tenant: TENANT_ZERO, lineageSink }, slot),
      );
    } finally {
      await slot.release();
    }
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
    return readFinopsSummary(this.platform.scope(TENANT_ZERO));
  }

  async rotateLedgerKeyDirectly(): Promise<never> {
    throw await this.platform.workflows.refuseOutsideWorkflow({
      tenant: this.principal.tenant, principal: `${this.principal.tenant}/${this.principal.subject}`, action: 'ledger.rotate_key', type: 'ledger-key-rotation', channel: 'cli-local',
    });
  }

  async simulatePricing(whatIf: PricingWhatIf): Promise<PricingSimulation> {
    const pricing = await loadPricing('models');
    if (!pricing) throw new DomainError('PRICING_INVALID', 'There is no models/finops/pricing.yaml to price SKUs with.');
    return simulatePricing(this.platform.scope(TENANT_ZERO), whatIf.period, pricing, { tierMoves: whatIf.tier_moves, excludedPacks: whatIf.excluded_packs });
  }

  generateInvoices(period: string): Promise<InvoiceRun> {
    return this.privileged('generate_invoices', { id: 'invoices', kind: 'Invoices' }, { period }, 'invoices generate', async () =>
      generateInvoices(this.warehouse, this.platform.state, TENANT_ZERO, period, (await invoiceWebhookOf(this.config)).webhook),
    );
  }

  async close(): Promise<void> {
    await this.platform.close();
  }

  /** The same gate and receipt the API route would apply, receipt first: these actions cannot be undone. */
  private privileged<T>(action: PolicyAction, resource: { id: string; kind: string }, request: unknown, what: string, act: () => Promise<T>): Promise<T> {
    const principal = this.principal;
    return this.platform.gate.runPrivileged(principal, action, { ...resource, tenant: TENANT_ZERO, data_class: 'confidential', region: principal.region }, request, what, act);
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
  /** Every call goes through the generated SDK (clients/typescript), typed by surfaces/http/openapi.json's paths. */
  private readonly api: CompanyOsClient;

  constructor(
    private readonly url: string,
    private readonly authority: TokenAuthority,
    private readonly scope: { env: string; region: string },
  ) {
    this.description = `the running platform at ${url}`;
    this.api = createCompanyOsClient({ baseUrl: url });
  }

  /** Sent as NDJSON so that lines of a file that are not JSON reach the platform as they were, and are parked. */
  async ingest(events: unknown[], submitter: string): Promise<IngestReply> {
    const headers = { ...(await this.bearer(submitter, ['connector'])), 'content-type': 'application/x-ndjson' };
    return this.call(this.api.POST('/v1/events', { body: toNdjson(events), bodySerializer: asIs, headers }));
  }

  async events(tenant: string, filter: EventFilter) {
    const query = { type: filter.type, from: filter.from?.toISOString(), to: filter.to?.toISOString(), limit: filter.limit, cursor: filter.cursor };
    return this.call(this.api.GET('/v1/events', { params: { query }, headers: await this.bearer(tenant, ['reader']) }));
  }

  async quarantine(tenant: string, filter: QuarantineFilter) {
    const query = { reason: filter.reason, limit: filter.limit, cursor: filter.cursor };
    return this.call(this.api.GET('/v1/quarantine', { params: { query }, headers: await this.bearer(tenant, ['reader']) }));
  }

  async build(request: ClientBuildRequest): Promise<BuildReport> {
    const headers = await this.bearer(TENANT_ZERO, ['operator']);
    const trigger = request.trigger === 'schedule' ? request.trigger : undefined;
    const body = { select: request.select, exclude: request.exclude, full_refresh: request.fullRefresh, mode: request.mode, threads: request.threads, trigger };
    return this.call(this.api.POST('/v1/transforms/build', { body, headers }));
  }

  async buildRuns(limit: number): Promise<BuildRun[]> {
    const page = await this.call(this.api.GET('/v1/transforms/runs', { params: { query: { limit } }, headers: await this.bearer(TENANT_ZERO, ['reader']) }));
    return page.runs;
  }

  async close(): Promise<void> {}

  /** The file's bytes as the body, as they are on disk. */
  async importBill(path: string, options: { format?: BillFormat; fileName: string }): Promise<BillImportReport> {
    const query = { file_name: options.fileName, format: options.format };
    const headers = { ...(await this.bearer(TENANT_ZERO, ['operator'])), 'content-type': 'application/octet-stream' };
    return this.call(this.api.POST('/v1/finops/bills', { params: { query }, body: await readFile(path), bodySerializer: asIs, headers }));
  }

  async recordTrueCosts(simulationId: string, rows: TrueCost[]): Promise<void> {
    const body = { simulation_id: simulationId, rows };
    await this.call(this.api.POST('/v1/finops/simulations/true-costs', { body, headers: await this.bearer(TENANT_ZERO, ['operator']) }));
  }

  async finopsSummary(): Promise<FinopsSummary> {
    return this.call(this.api.GET('/v1/finops/summary', { headers: await this.bearer(TENANT_ZERO, ['reader']) }));
  }

  /** The locked door is not in the published API (it has no success to document): a plain request. */
  async rotateLedgerKeyDirectly(): Promise<never> {
    const response = await fetch(`${this.url}/v1/ledger/keys/rotate`, { method: 'POST', headers: await this.bearer(TENANT_ZERO, ['operator']) });
    const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new PlatformApiError(body.code ?? `HTTP_${response.status}`, `${this.url}: ${body.message ?? response.statusText}`);
  }

  async simulatePricing(whatIf: PricingWhatIf): Promise<PricingSimulation> {
    return this.call(this.api.POST('/v1/finops/pricing:simulate', { body: whatIf, headers: await this.bearer(TENANT_ZERO, ['reader']) }));
  }

  async generateInvoices(period: string): Promise<InvoiceRun> {
    return this.call(this.api.POST('/v1/finops/invoices:generate', { params: { query: { period } }, headers: await this.bearer(TENANT_ZERO, ['operator']) }));
  }

  /** A token for the tenant and roles, minted once per client. */
  private async bearer(tenant: string, roles: Role[]): Promise<{ authorization: string }> {
    const key = `${tenant}/${roles.join()}`;
    if (!this.tokens.has(key)) this.tokens.set(key, this.authority.mint({ tenant, roles, subject: 'companyos-cli', expiresIn: '1h', ...this.scope }));
    return { authorization: `Bearer ${await this.tokens.get(key)}` };
  }

  /** The answer's body, or the platform's error (its catalogue code) as a PlatformApiError. */
  private async call<Data>(request: Promise<ApiResult<Data>>): Promise<NonNullable<Data>> {
    try {
      return await unwrap(request);
    } catch (error) {
      if (error instanceof CompanyOsApiError) throw new PlatformApiError(error.code, `${this.url}: ${error.message}`);
      throw error;
    }
  }
}

/** A body sent as it is (NDJSON text, a file's bytes), not as JSON. */
const asIs = <T>(body: T): T => body;
