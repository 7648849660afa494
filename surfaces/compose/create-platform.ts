import { createHash, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import type { Logger } from '../../kernel/log/index.ts';
import { loadPolicyBundle, PolicyEngine } from '../../kernel/policies/index.ts';
import { openStateStore, type StateStore } from '../../kernel/state/index.ts';
import { liveBatchGuardMs, type Warehouse } from '../../kernel/warehouse/index.ts';
import { backupSourceOf, openBackupTarget, replaceBackups, type BackupServices, type BackupSource, type S3Options, type ShippingStatus } from '../../platform/backup/index.ts';
import { appendRecordReceipt, ApprovalStore, DecisionLog, EntityStore, EvidenceStore, LedgerStore, PolicyActivations, PolicyGate } from '../../platform/governance/index.ts';
import { AccessGrants, DEFAULT_ENV, DEFAULT_REGION, ApiKeys, IdentityMappings, LoginSessions, OidcLogin, ProviderTokens, ScimDirectory, type FinishedLogin, type IdentityProvider, type RotatingSecret, type SessionLimits, type TokenKeyFile } from '../../platform/identity/index.ts';
import { BatchedEmitter, DEFAULT_DEDUPE_WINDOW_DAYS, IngestPipeline, sameTurnEmitter, screeningThreadPays } from '../../platform/ingest/index.ts';
import { PlatformMetrics } from '../../platform/metrics/index.ts';
import { stateSource, TENANT_ZERO, TenantScope } from '../../platform/tenancy/index.ts';
import { BuildGate, ModelRefresh, rebuildModels, type ModelGenerator } from '../../platform/transforms/index.ts';
import { QueueMarks, recoverQueuesAfterStart, SYSTEM_CLOCK, WorkflowEngine, type WorkflowClock } from '../../platform/workflows/index.ts';
import type { PlatformEvent } from '../../platform/ingest/index.ts';
import { PACKS, type Pack } from '../../packs/index.ts';
import { platformTables } from './platform-tables.ts';
import { RetentionService, type RetentionWindows } from '../../platform/retention/index.ts';
import { JobLeases } from '../../platform/jobs/index.ts';
import { tenantExportsDir, type ErasureServices } from '../../platform/erasure/index.ts';

export interface PlatformOptions {
  /** An open, migrated warehouse; the caller closes it after the platform. */
  warehouse: Warehouse;
  /**
   * Operational state: an open store (the caller closes it), or where the platform opens its own
   * (`url`: a PostgreSQL server's; else `dataDir`, used when the warehouse is not DuckDB; a DuckDB
   * warehouse holds the state itself).
   */
  state?: StateStore | { dataDir?: string; url?: string };
  /** Where exports, backups and drills keep their files when `state` is a store handed in (otherwise its data folder). */
  filesDir?: string;
  /** The policy bundle (default: the shipped `kernel/policies/`) and where this platform runs. */
  policy?: { dir?: string; env?: string; region?: string };
  /** Signing keys of the receipt ledger: a keyring, or the folder it lives in ($COMPANYOS_DATA_DIR/keys); in memory when neither. */
  ledger?: { keyring?: Keyring; keysDir?: string };
  /**
   * After the start, recover what a kill took from a process's queues (`recoverQueuesAfterStart`: the metering events
   * of workflow transitions, the decisions receipts cite; default true). Every platform marks how far its own queues
   * are written (`QueueMarks`), so what a kill takes from it is recovered by the next one that does. The CLI's
   * one-command platforms leave the recovery to the server: it would cost each command a read of the last minutes'
   * runs and an ingest of their events.
   */
  recoverQueues?: boolean;
  /** A repeat of (tenant, source, id) within this many days is never stored twice. */
  dedupeWindowDays?: number;
  /** The platform operator's tenant (default summit-internal). */
  operatorTenant?: string;
  /** Builds in this process go through one gate; a caller that also schedules builds passes its own. */
  builds?: BuildGate;
  /** The packs to run (default: every registered pack, packs/index.ts). */
  packs?: readonly Pack[];
  /** Where services report what they cannot answer for (the server's logger, or the console). */
  log?: Logger;
  /** The models project and where builds write their artifacts (default `models`, `target`): what governed model refreshes build. */
  models?: { dir?: string; targetDir?: string };
  /** The token-signing secret as a file a governed rotation replaces; absent when it comes from the environment. */
  tokenKeys?: TokenKeyFile;
  /** The invoice webhook's signing secret, rotated by a governed run (when a webhook is configured). */
  webhookSecret?: RotatingSecret;
  /** Where governed exports write their files (default: `exports/` in the state's data directory). */
  exportsDir?: string;
  /**
   * Where backups go — a directory (default: `backups/` in the state's data directory; put it on another
   * volume) or `s3://bucket[/prefix]` in an object store (at `s3.endpoint` when given) — and drills restore (`drills/` in the data directory).
   */
  backupsDir?: string;
  s3?: S3Options;
  /** Continuous backup's state, when the caller ships changes (`companyos start` with COMPANYOS_BACKUP_SHIPPING): drills then restore what it shipped. */
  continuousBackup?: () => ShippingStatus | undefined;
  /** With continuous backup: starts its next base now (an erasure replaces the backups that hold the subject). */
  newBackupBase?: () => Promise<string>;
  /** What a drill or an erasure backs up when the stores handed in record their writes (continuous backup: `captureChanges`'s `source`); else found from the warehouse and state. */
  backupSource?: BackupSource;
  /**
   * The weekly retention run's windows (`COMPANYOS_RETENTION`); without them nothing expires. It reads
   * the system's clock, not the platform's (a demo seed moves that one back), unless given its own.
   */
  retention?: { windows: RetentionWindows; clock?: WorkflowClock };
  /** The workflow engine's clock (default: the system's); tests and demo seeding move it by hand. */
  clock?: WorkflowClock;
  /** The tenants' identity providers (COMPANYOS_IDENTITY_PROVIDERS): their access tokens, and people's sign-in. */
  identity?: IdentityOptions;
}

export interface IdentityOptions {
  providers: readonly IdentityProvider[];
  /** How long a provider's fetched keys are trusted (default 10 min). */
  jwksCacheMs?: number;
  fetchTimeoutMs?: number;
  maxTokenTtlSeconds?: number;
  sessionLimits?: SessionLimits;
  /** Sessions' clock: the system's (a demo seed moves the platform's back) unless a test gives one. */
  now?: () => Date;
}

/** The platform's services, composed once: every surface (HTTP, CLI, reports), test and benchmark starts here. */
export interface Platform {
  readonly warehouse: Warehouse;
  /** Entities, approvals, evidence, the ledger's sequence and invoices (kernel/state). */
  readonly state: StateStore;
  readonly env: string;
  readonly region: string;
  readonly operatorTenant: string;
  readonly engine: PolicyEngine;
  /** The policy bundle in force: shipped, or as the newest governed policy change activated it. */
  readonly policies: PolicyActivations;
  readonly metrics: PlatformMetrics;
  readonly pipeline: IngestPipeline;
  readonly decisions: DecisionLog;
  readonly ledger: LedgerStore;
  readonly entities: EntityStore;
  readonly approvals: ApprovalStore;
  readonly evidence: EvidenceStore;
  readonly gate: PolicyGate;
  /** Where governed exports write their files, a folder per tenant. */
  readonly exportsDir: string;
  /** The weekly retention run, when configured (`retention`): the server's sweep starts it when due. */
  readonly retention?: RetentionService;
  /** Leases on the cluster-wide jobs (retention, grant expiry, the packs' sweeps, scheduled builds): each runs in one process at a time. */
  readonly jobLeases: JobLeases;
  /** Roles granted for a time by governed runs (temporary access); the API adds them to a principal's own. */
  readonly grants: AccessGrants;
  /** The tenants' identity providers' access tokens (when any is configured), people's sign-in through them, and their sessions. */
  readonly identity: { readonly providerTokens?: ProviderTokens; readonly login: OidcLogin; readonly sessions: LoginSessions; readonly directory: ScimDirectory; readonly apiKeys: ApiKeys; readonly mappings: IdentityMappings };
  /** Governed workflows of the packs' types (`Pack.workflowTypes`), durable on the state store. */
  readonly workflows: WorkflowEngine;
  readonly builds: BuildGate;
  readonly packs: readonly Pack[];
  /** The packs' model generators, for every build. */
  readonly generators: readonly ModelGenerator[];
  /** Decisions cited by a receipt but missing from the log (a kill between the two) that opening restored. */
  readonly recoveredDecisions: number;
  /** The platform's clock: workflows, grants and the packs' timers (SLAs) all read it; tests and demo seeding move it. */
  readonly clock: WorkflowClock;
  /** Records events the platform itself makes (metering of its own operations) in a tenant's stream, stamped with the policy revision. */
  emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>;
  /**
   * Queues events the platform records about its own work (workflow metering, the API's self-metering) for the next
   * batch: one ingest per batch window of the warehouse, off the request path. A kill loses what is queued: only
   * events their source can send again (or a sample may lose) go here.
   */
  queueEvents(events: readonly QueuedEvent[]): void;
  /** Writes the queued events: readers of raw events call it first. */
  flushEvents(): Promise<void>;
  /** Writes what is queued now, without waiting for a start's re-metering: what a closing server does. */
  flushQueue(): Promise<void>;
  /** Workflow transitions metered again after the start (`recoverQueuesAfterStart`: those a kill may have taken from a queue). */
  readonly remeteredTransitions: Promise<number>;
  /** The one way surfaces and packs read a tenant's data: its rows only, by construction. */
  scope(tenant: string): TenantScope;
  /** The same for the tenant's operational state (the state store's tables). */
  stateScope(tenant: string): TenantScope;
  /** Flushes what the services buffer (decisions, receipts) and closes the state store it opened; the warehouse stays open. */
  close(): Promise<void>;
}

/** The composition root: the one place services are constructed and wired. */
export async function createPlatform(options: PlatformOptions): Promise<Platform> {
  const { warehouse } = options;
  const log = options.log ?? console;
  const env = options.policy?.env ?? DEFAULT_ENV;
  const region = options.policy?.region ?? DEFAULT_REGION;
  const packs = options.packs ?? PACKS;
  const shipped = loadPolicyBundle(options.policy?.dir);
  const engine = new PolicyEngine(shipped);
  const operatorTenant = options.operatorTenant ?? TENANT_ZERO;
  const keyring = options.ledger?.keyring ?? (options.ledger?.keysDir ? await Keyring.open(options.ledger.keysDir, LEDGER_KEY_NAME) : Keyring.inMemory(LEDGER_KEY_NAME));
  const metrics = new PlatformMetrics();
  const pipeline = new IngestPipeline(warehouse, {
    dedupeWindowDays: options.dedupeWindowDays,
    screenOnWorker: screeningThreadPays(),
    onScreenFallback: (error, retryInMs) => log.warn({ err: error, retryInMs }, 'the ingest screening thread failed; batches are screened on the main thread for a while (retryInMs)'),
  });
  const ownsState = !isStateStore(options.state);
  const state = isStateStore(options.state) ? options.state : await openStateStore(warehouse, { dataDir: options.state?.dataDir, url: options.state?.url, tables: platformTables(packs) });
  const policies = new PolicyActivations(engine, shipped, state, engine.platformTenant ?? operatorTenant);
  const activation = await policies.restore();
  if (activation.superseded > 0 && !activation.restored) {
    log.warn({ superseded: activation.superseded, shipped: shipped.revision.id }, 'governed policy changes made on another release\'s bundle are not in force: this release ships its own; request them again if still wanted');
  }
  const decisions = new DecisionLog(warehouse, log);
  const recovery = await decisions.recoverFromReceipts(engine.bundle.name, state);
  const recoveredDecisions = recovery.recovered;
  void recovery.recent.then(
    (recovered) => recovered > 0 && log.warn({ recovered }, 'decisions cited by receipts of the seconds before this start and missing from the decision log were restored from the receipts'),
    (error: unknown) => log.error({ err: error }, 'could not check the receipts of the seconds before this start against the decision log'),
  );
  const ledger = new LedgerStore(state, keyring, log);
  const entities = new EntityStore(state, region);
  const approvals = new ApprovalStore(state);
  const evidence = new EvidenceStore(state);
  const clock = options.clock ?? SYSTEM_CLOCK;
  const grants = new AccessGrants(state, () => clock.now());
  const gate = new PolicyGate({ engine, decisions, ledger, approvals, evidence, pipeline, metrics, env });
  const stateDir = isStateStore(options.state) ? options.filesDir : options.state?.dataDir;
  const exportsDir = options.exportsDir ?? join(stateDir ?? tmpdir(), stateDir ? 'exports' : 'companyos-exports');
  const backupsDir = options.backupsDir ?? join(stateDir ?? tmpdir(), stateDir ? 'backups' : 'companyos-backups');
  const backups: BackupServices = {
    target: openBackupTarget(backupsDir, options.s3),
    source: options.backupSource ?? backupSourceOf(warehouse, state),
    signingKey: () => keyring.active,
    verifierKeys: keyring,
    tables: platformTables(packs),
    continuous: options.continuousBackup,
    scratchDir: join(stateDir ?? tmpdir(), stateDir ? 'drills' : 'companyos-drills'),
    rebuild: (restored, dataDir) => rebuildModels(restored, { modelsDir: options.models?.dir ?? 'models', generators, tenant: operatorTenant, dataDir }),
  };
  const retention = options.retention && new RetentionService({
    warehouse, state, tables: platformTables(packs), windows: options.retention.windows, operatorTenant, signingKey: () => keyring.active, now: () => (options.retention?.clock ?? SYSTEM_CLOCK).now(),
    ledger, bundleRevision: () => engine.revision,
  });
  const scope = (tenant: string) => new TenantScope(warehouse, tenant);
  const stateScope = (tenant: string) => new TenantScope(stateSource(state), tenant);
  const jobLeases = new JobLeases(state);
  // Events the platform records about its own work, one ingest per batch window.
  const platformEvents = new BatchedEmitter<QueuedEvent>(
    async (events) => void (await pipeline.ingest(events, { channel: 'http', submitter: operatorTenant })),
    (error, pending) => log.error({ err: error, events: pending }, "could not record the platform's own events; retrying"),
    warehouse.capabilities.batchWindowMs,
  );
  const builds = options.builds ?? new BuildGate(jobLeases, () => flushEvents());
  const generators = packs.flatMap((pack) => pack.generators ?? []);
  const models = new ModelRefresh({ warehouse, builds, generators, modelsDir: options.models?.dir ?? 'models', targetDir: options.models?.targetDir ?? 'target', tenant: operatorTenant });
  // Stamped with the policy revision in force, as every event is.
  const emit = sameTurnEmitter(async (tenant: string, events: readonly PlatformEvent[]) => {
    await pipeline.ingest(events.map((event) => ({ ...event, policyversion: engine.revision })), { channel: 'http', submitter: tenant });
  });
  const erasure: ErasureServices = {
    warehouse, state, ledger, evidence, exportsDir: tenantExportsDir(exportsDir),
    rebuildModels: () => models.rebuildAll('erasure'),
    replaceBackups: () => replaceBackups(backups, options.newBackupBase),
  };
  const identityMappings = new IdentityMappings(state, options.identity?.providers ?? []);
  // Set once the engine exists: the start's re-metering (`recoverQueuesAfterStart`), and what readers of events wait for.
  let remetering: Promise<number> = Promise.resolve(0);
  let readable: Promise<unknown> = Promise.resolve();
  // Closing ends the wait for live replicas' queues: what they hold is theirs to write.
  const closing = new AbortController();
  const flushEvents = async () => {
    await readable;
    await platformEvents.flush();
  };
  const workflows = new WorkflowEngine({
    state, ledger, clock, log, platformTenant: engine.platformTenant ?? operatorTenant,
    types: packs.flatMap((pack) => pack.workflowTypes?.({ ledger, state, stateScope, emit, clock, policies, decisions, grants, identityMappings, models, scope, flushEvents, exportsDir, tokenKeys: options.tokenKeys, webhookSecret: options.webhookSecret, backups, erasure }) ?? []),
    emit,
    emitLater: (events) => platformEvents.push(events.map((event) => ({ ...event, policyversion: engine.revision }))),
  });
  // What a kill took from a queue comes back (`recoverQueuesAfterStart`); this process marks how far its own are written.
  const queuesWritten = async () => (await Promise.all([platformEvents.written(), decisions.written()])).every(Boolean);
  const marks = new QueueMarks({ state, clock, written: queuesWritten, queued: () => platformEvents.pushed + decisions.recorded, log });
  await marks.start();
  let sweeping: Promise<void> = Promise.resolve();
  if (options.recoverQueues ?? true) {
    const remetered = recoverQueuesAfterStart({
      workflows, marks, clock, log, written: () => platformEvents.written(), guardMs: liveBatchGuardMs(warehouse.capabilities),
      decisions: { restoreBetween: (since, until) => decisions.restoreBetween(engine.bundle.name, state, since, until), written: () => decisions.written() },
      dedupeWindowDays: options.dedupeWindowDays ?? DEFAULT_DEDUPE_WINDOW_DAYS, signal: closing.signal,
    });
    remetering = remetered.metered;
    readable = remetered.readable;
    sweeping = remetered.stopped;
  }
  return {
    warehouse,
    state,
    env,
    region,
    operatorTenant,
    engine,
    policies,
    metrics,
    pipeline,
    decisions,
    ledger,
    entities,
    approvals,
    evidence,
    gate,
    grants,
    workflows,
    builds,
    packs,
    generators,
    recoveredDecisions,
    remeteredTransitions: remetering,
    clock,
    emit,
    scope,
    exportsDir,
    stateScope,
    retention,
    jobLeases,
    identity: composeIdentity(state, env, ledger, gate, workflows, identityMappings, options.identity),
    queueEvents: (events) => platformEvents.push(events),
    flushEvents,
    flushQueue: () => platformEvents.flush(),
    close: async () => {
      closing.abort();
      try {
        await Promise.allSettled([remetering, sweeping]);
        await marks.stop();
        const written = (await Promise.all([platformEvents.close(), decisions.close()])).every(Boolean);
        await marks.close(written);
        await ledger.close();
        if (ownsState) await state.close();
      } finally {
        await pipeline.close();
      }
    },
  };
}

function composeIdentity(state: StateStore, env: string, ledger: LedgerStore, gate: PolicyGate, workflows: WorkflowEngine, mappings: IdentityMappings, options: IdentityOptions | undefined): Platform['identity'] {
  const providers = options?.providers ?? [];
  const sessions = new LoginSessions(state, options?.now, options?.sessionLimits);
  const resolve = (provider: IdentityProvider) => mappings.resolve(provider);
  // A person deactivated or deleted in the tenant's directory: their sessions end and their runs still waiting
  // for approval are withdrawn now; their provider tokens stop working (ProviderTokens asks the directory).
  const directory = new ScimDirectory(state, async (tenant, user) => {
    const keys = [...new Set([user.externalId, user.userName].filter((value): value is string => typeof value === 'string'))];
    const subjects = providers.filter((candidate) => candidate.tenant === tenant).flatMap((provider) => keys.map((key) => `${provider.name}:${key}`));
    for (const subject of subjects) await sessions.endAllOf(tenant, subject, 'deprovisioned');
    const requesters = new Set(subjects.map((subject) => `${tenant}/${subject}`));
    for (const status of ['requested', 'awaiting-approval', 'approved'] as const) {
      for (const run of await workflows.list(tenant, { status, limit: 1000 })) {
        if (requesters.has(run.requestedBy)) await workflows.cancel(tenant, run.runId, `${tenant}/scim:deprovisioned`);
      }
    }
  });
  // Each login is decided (may this person read the tenant's pages: logged like every decision) and receipted in
  // the tenant's ledger: who, through which provider and mapping revision, with which roles.
  const recordLogin = async (login: FinishedLogin) => {
    const { principal, provider } = login;
    const resource = { id: 'reports', tenant: principal.tenant, kind: 'Reports', data_class: 'internal', region: principal.region } as const;
    const verdict = await gate.decide(principal, 'read', resource, {}, { method: 'GET', route: '/auth/callback', traceId: randomUUID().replaceAll('-', '') });
    if (verdict.decision.decision !== 'allow') throw new DomainError('LOGIN_REFUSED', `No policy lets ${verdict.principalId} read the tenant's pages.`, { decision_id: verdict.decisionId });
    const mapping = await mappings.current(provider);
    const session = createHash('sha256').update(login.sessionId).digest('hex');
    await appendRecordReceipt(ledger, {
      tenant: principal.tenant, receiptId: `login/${session}`, actor: principal.subject, action: 'identity.login',
      targetName: `identity-provider/${provider.name}`, decisionId: verdict.decisionId, bundleRevision: `${gate.deps.engine.revision}; identity-mapping/${provider.name}@${mapping.revision} ${mapping.digest}`,
      approvers: [], at: new Date(), record: JSON.stringify({ provider: provider.name, subject: principal.subject, roles: principal.roles, env: principal.env, region: principal.region }),
    });
  };
  return {
    providerTokens: providers.length
      ? new ProviderTokens(providers, {
        env, jwksCacheMs: options?.jwksCacheMs, fetchTimeoutMs: options?.fetchTimeoutMs, maxTtlSeconds: options?.maxTokenTtlSeconds,
        deprovisioned: (tenant, keys) => directory.isDeprovisioned(tenant, keys),
        resolve,
      })
      : undefined,
    login: new OidcLogin(providers, sessions, env, recordLogin, resolve),
    sessions,
    directory,
    apiKeys: new ApiKeys(state, options?.now),
    mappings,
  };
}

function isStateStore(value: PlatformOptions['state']): value is StateStore {
  return value !== undefined && 'transaction' in value;
}

/** An event (CloudEvents attributes and the platform's extensions) the platform queues about its own work, stamped with the policy version it was recorded under. */
export type QueuedEvent = Omit<PlatformEvent, 'subject'> & { subject?: string; policyversion: string; [extension: string]: unknown };
