import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { StateStore } from '../kernel/state/index.ts';
import type { TableDefinition, Warehouse } from '../kernel/warehouse/index.ts';
import type { WebhookConfig } from './finops/index.ts';
import type { BackupServices } from '../platform/backup/index.ts';
import type { ErasureServices } from '../platform/erasure/index.ts';
import type { ApprovalStore, DecisionLog, EntityStore, EvidenceStore, LedgerStore, PolicyActivations } from '../platform/governance/index.ts';
import type { AccessGrants, IdentityMappings, Role, RotatingSecret, TokenKeyFile } from '../platform/identity/index.ts';
import type { IngestPipeline, PlatformEvent } from '../platform/ingest/index.ts';
import type { PlatformMetrics } from '../platform/metrics/index.ts';
import type { TenantScope } from '../platform/tenancy/index.ts';
import type { ModelGenerator, ModelRefresh } from '../platform/transforms/index.ts';
import type { AdjustableClock, WorkflowClock, WorkflowEngine, WorkflowType } from '../platform/workflows/index.ts';
import type { PackJob } from '../surfaces/cli/kit/index.ts';

/** What the composition root hands every pack's routes: the platform's services and the settings packs read. */
export interface PackContext {
  warehouse: Warehouse;
  /** Operational state (entities, approvals, invoices …): transactions and unique keys. */
  state: StateStore;
  /** The models project (`models/`): where the packs' declarations live. */
  modelsDir: string;
  /** The platform operator's tenant (summit-internal). */
  operatorTenant: string;
  /** Where this server runs (new entities live here unless they say otherwise). */
  region: string;
  /** A tenant's data, its rows only (TenantScope): how routes read. */
  scope(tenant: string): TenantScope;
  /** The same for the tenant's operational state (invoices, approvals …). */
  stateScope(tenant: string): TenantScope;
  /** Records events of the pack's own operations in a tenant's stream (its metering). */
  emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>;
  /** The platform's one clock (SLA timers read it; tests and demo seeding move it). */
  clock: WorkflowClock;
  /** The platform's Prometheus metrics (`/metrics`): what a pack's sweep reports for alerting. */
  metrics: PlatformMetrics;
  /** The tenants' receipt logs: what a pack receipts besides its routes' calls (a lead's routing). */
  ledger: LedgerStore;
  entities: EntityStore;
  approvals: ApprovalStore;
  evidence: EvidenceStore;
  /** Governed workflows (runs of the packs' types). */
  workflows: WorkflowEngine;
  /** Where governed exports write their files. */
  exportsDir: string;
  /** `POST /v1/finops/bills`: the largest file and where uploads are stored while imported. */
  billUploads?: { maxBytes?: number; dir?: string };
  /** Where generated invoices are delivered; not delivered when absent. */
  invoiceWebhook?: WebhookConfig;
}

/** What a pack's workflow executors act on (handed over by the composition root). */
export interface WorkflowServices {
  readonly ledger: LedgerStore;
  /** Operational state, for executors that change a pack's own (a routing policy published). */
  readonly state: StateStore;
  /** A tenant's operational state only. */
  stateScope(tenant: string): TenantScope;
  /** Records events of the pack's own operations in a tenant's stream. */
  emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>;
  /** The platform's one clock (the engine's: what a step records its outcome at). */
  readonly clock: WorkflowClock;
  /** The policy bundle in force, and the one way to change it. */
  readonly policies: PolicyActivations;
  /** Every decision taken (what a proposed bundle is replayed against, and the accesses made under a grant). */
  readonly decisions: DecisionLog;
  /** Roles granted for a time. */
  readonly grants: AccessGrants;
  /** The tenants' identity providers' claims mappings in force, and the one way to change them. */
  readonly identityMappings: IdentityMappings;
  /** Snapshots, full refreshes and restores of model tables. */
  readonly models: ModelRefresh;
  /** A tenant's rows only, as routes read them. */
  scope(tenant: string): TenantScope;
  /** Writes the events the platform has queued about its own work (workflow metering): readers of raw events call it first. */
  flushEvents(): Promise<void>;
  /** Where governed exports write their files. */
  readonly exportsDir: string;
  /** The token-signing secret, when it is a file in the data directory a rotation may replace. */
  readonly tokenKeys?: TokenKeyFile;
  /** The invoice webhook's signing secret, when a webhook is configured. */
  readonly webhookSecret?: RotatingSecret;
  /** Backups of the platform's database and the scratch space drills restore into (the DR drill's executor). */
  readonly backups?: BackupServices;
  /** What erasing a subject touches (the erasure's executor). */
  readonly erasure?: ErasureServices;
}

/** What a pack's demo seed may use, besides the API. */
export interface DemoServices {
  readonly warehouse: Warehouse;
  readonly pipeline: IngestPipeline;
  /** Operational state, the receipt ledger and the pack's metering: what a seed's own sweep (an SLA check) acts on before the server listens. */
  readonly state: StateStore;
  stateScope(tenant: string): TenantScope;
  readonly ledger: LedgerStore;
  emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>;
  readonly workflows: WorkflowEngine;
  readonly policies: PolicyActivations;
  /** The platform's clock: a seed sets it back to drive runs over the past, and resets it. */
  readonly clock: AdjustableClock;
  /** A token of the operator's tenant for `subject` with `roles`. */
  mint(subject: string, roles: Role[]): Promise<string>;
}

/**
 * A pack: one folder (`packs/<name>/`) that adds a capability on top of the
 * platform, described by one module (`packs/<name>/pack.ts`) and registered by
 * one line in `packs/index.ts`. Each part is optional.
 */
export interface Pack {
  /** The folder name. */
  readonly name: string;
  /** One sentence: what it adds. */
  readonly description: string;
  /**
   * The warehouse migrations of its tables: a folder holding `duckdb/` and `clickhouse/`, each with
   * `NNNN_name.sql` files numbered in the one sequence all migrations share.
   */
  readonly migrations?: string;
  /** Its tables, declared as the kernel's are (`TableDefinition`: columns, keys, tenant column, retention; `state` for operational ones). */
  readonly tables?: readonly TableDefinition[];
  /** Models it generates from its declarations in the models project (meters, attribution, SLOs). */
  readonly generators?: readonly ModelGenerator[];
  /** Its HTTP routes, registered as one Fastify plugin in a scope of its own. */
  readonly routes?: (app: FastifyInstance, context: PackContext) => void;
  /** Its report pages (markdown, Evidence syntax, any depth), served as `/reports/<under><name>`. */
  readonly pages?: { readonly dir: string; readonly under?: string };
  /** Its `companyos` commands. */
  readonly commands?: (program: Command) => void;
  /** The governed action types it adds (platform/workflows), given the services their executors act on. */
  readonly workflowTypes?: (services: WorkflowServices) => readonly WorkflowType<unknown>[];
  /** Jobs a schedule may run (`companyos schedule`, `companyos start --schedule`). */
  readonly jobs?: readonly PackJob[];
  /** Work the server runs on a timer, with the workflows' sweep (`leaseSweepMs`): an SLA check. A failure is logged; the next run tries again. */
  readonly sweep?: (context: PackContext) => Promise<void>;
  /** Demo data `companyos start` seeds on an empty warehouse, through the API like an operator; returns a line for the banner. */
  readonly seedDemo?: (app: FastifyInstance, services: DemoServices, operatorToken: string) => Promise<string>;
}
