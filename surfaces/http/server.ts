import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { serverTimingHooks } from './server-timing.ts';
import { DomainError } from '../../kernel/errors/index.ts';
import type { Keyring } from '../../kernel/ledger/index.ts';
import { cloudEventSchema } from '../../kernel/schemas/index.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import type { DecisionLog, LedgerStore, PolicyGate } from '../../platform/governance/index.ts';
import { BearerTokens, scopesAllow, type RotatingSecret, type TokenAuthority, type TokenKeyFile } from '../../platform/identity/index.ts';
import { KafkaEventPublisher, KafkaIngestConsumer, type KafkaConsumerOptions } from '../../platform/ingest/index.ts';
import type { BuildGate, LineageSink } from '../../platform/transforms/index.ts';
import type { RetentionWindows } from '../../platform/retention/index.ts';
import type { PackContext, WebhookConfig } from '../../packs/index.ts';
import { createPlatform, type Platform, type PlatformOptions } from '../compose/index.ts';
import { runAudience, type WorkflowClock } from '../../platform/workflows/index.ts';
import { closeWithin, DEFAULT_CLOSE_STEP_MS } from './bounded-close.ts';
import { clearSessionCookie, noReferrer, sessionCookie, signInLocation } from './session-cookie.ts';
import { loginRoutes } from './routes/login.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { tokenExchangeRoutes } from './routes/token-exchange.ts';
import { scimRoutes } from './routes/scim.ts';
import { registerEventBodyParser } from './cloudevents-http.ts';
import { refuseNonFiniteNumbers } from './finite-numbers.ts';
import { depthLimitedJsonParser } from './json-body.ts';
import {
  answerExpectContinue, buildSharedSerializer, capConnectionsPerIp, clientErrorHandler, DEFAULT_CONNECTION_LIMITS, DEFAULT_MAX_BATCH_EVENTS, DEFAULT_MAX_BODY_BYTES, errorResponseSchema, httpStatusOf,
  answerForFailure, registerPolicyGate, registerTenantQuotas, timeoutOptions, type ConnectionLimits, type RouteEntry,
} from './kit/index.ts';
import { API_VERSION } from './openapi/api-version.ts';
import { acceptDeprecatedSpellings } from './openapi/deprecated-spellings.ts';
import { documentRoutes } from './openapi/document-routes.ts';
import { API_TAGS } from './openapi/tags.ts';
import { loggerOptions, TokenSafeLogController, type LogStream } from './request-log.ts';
import { validateRequests } from './request-validation.ts';
import { eventRoutes } from './routes/events.ts';
import { lineageRoutes } from './routes/lineage.ts';
import { operationsRoutes } from './routes/operations.ts';
import { policyRoutes } from './routes/policy.ts';
import { provenanceRoutes } from './routes/provenance.ts';
import { sideDoorRoutes, workflowRoutes } from './routes/workflows.ts';
import { purgeRoutes } from './routes/purges.ts';
import { quarantineRoutes } from './routes/quarantine.ts';
import { reportRoutes } from './routes/reports.ts';
import { transformRoutes } from './routes/transforms.ts';
import { SelfMetering } from './self-metering.ts';
import { errorBody, toDomainError } from './to-domain-error.ts';
import { TenantQuotas, type QuotaConfig } from '../../platform/tenancy/index.ts';

export interface ServerOptions {
  warehouse: Warehouse;
  /** The composed services to serve (createPlatform); composed from these options when absent. */
  platform?: Platform;
  /** createPlatform's `state`: an open store (the caller closes it), or where operational state lives beside a warehouse that is not DuckDB ($COMPANYOS_DATA_DIR). */
  state?: PlatformOptions['state'];
  filesDir?: PlatformOptions['filesDir'];
  /** Where backups go (createPlatform's `backupsDir` and `s3`). */
  backupsDir?: string;
  s3?: PlatformOptions['s3'];
  /** createPlatform's `continuousBackup`. */
  continuousBackup?: PlatformOptions['continuousBackup'];
  /** createPlatform's `newBackupBase`. */
  newBackupBase?: PlatformOptions['newBackupBase'];
  /** createPlatform's `backupSource`. */
  backupSource?: PlatformOptions['backupSource'];
  /** The weekly retention run's windows (createPlatform's `retention`). */
  retention?: RetentionWindows;
  tokens: TokenAuthority;
  /** The tenants' identity providers: their access tokens are accepted besides the platform's own, and people sign in through them. */
  identity?: PlatformOptions['identity'];
  /** Most events accepted in one POST. */
  maxBatchEvents?: number;
  /** Per-tenant rates (requests, ingested events a second), counted in this process; none when absent. */
  tenantQuotas?: QuotaConfig;
  /** The quotas' clock in milliseconds (tests move it by hand); monotonic by default — not `clock`, which the demo seed moves back. */
  quotaClock?: () => number;
  /** Largest request body, in bytes. */
  maxBodyBytes?: number;
  /** `POST /v1/finops/bills`: the largest file (COMPANYOS_MAX_BILL_BYTES, default 2 GiB) and where uploads are stored while imported. */
  billUploads?: { maxBytes?: number; dir?: string };
  /** Header, body and keep-alive timeouts and the per-address connection cap (slow clients); DEFAULT_CONNECTION_LIMITS when absent. */
  connectionLimits?: Partial<ConnectionLimits>;
  dedupeWindowDays?: number;
  logLevel?: string;
  /** How long each close step (a writer's flush, the Kafka consumer's stop) may take before it is abandoned; DEFAULT_CLOSE_STEP_MS. */
  closeStepMs?: number;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: LogStream;
  /** Trust X-Forwarded-* from the proxy in front (COMPANYOS_TRUST_PROXY): `true`, or the proxy's addresses. */
  trustProxy?: boolean | string;
  /** When given, the server also consumes these Kafka topics, through the same pipeline, from ready to close. */
  kafka?: Omit<KafkaConsumerOptions, 'onBatch' | 'onRetry'>;
  /**
   * Kafka ingest mode: POST /v1/events publishes validated events to this topic
   * (acks from all replicas) instead of writing them; a consumer lands them.
   */
  publishTo?: { brokers: string[]; topic: string };
  /** Where `POST /v1/finops/invoices:generate` delivers invoices (COMPANYOS_INVOICE_WEBHOOK_URL); not delivered when absent. */
  invoiceWebhook?: WebhookConfig;
  /** Record every /v1 request as an `api.requests_total` event (share `sample` of them); off when absent. */
  selfMetering?: { sample: number };
  /** Answer every request with a W3C `Server-Timing` header of where its time went (`server-timing.ts`); off when absent. */
  serverTiming?: boolean;
  /** The policy bundle (default: the shipped `kernel/policies/`) and where this server runs. */
  policy?: { dir?: string; env?: string; region?: string };
  /** The token-signing secret as a file a governed rotation replaces (`companyos start` without COMPANYOS_JWT_SECRET). */
  tokenKeys?: TokenKeyFile;
  /** The invoice webhook's signing secret as a rotating secret (`companyos start` with a webhook); `invoiceWebhook` signs with what it holds. */
  webhookSecret?: RotatingSecret;
  /** The workflow engine's and the grants' clock (tests move it by hand); the system's by default. */
  clock?: WorkflowClock;
  /** How often expired temporary grants are revoked and receipted, approvals checked against their SLA, and the packs sweep (their SLA checks) (default 15 s). */
  leaseSweepMs?: number;
  /** Signing keys of the receipt ledger: a keyring, or the folder it lives in ($COMPANYOS_DATA_DIR/keys); in memory when neither. */
  ledger?: { keyring?: Keyring; keysDir?: string };
  /** Where `POST /v1/transforms/build` finds models and writes artifacts. */
  transforms?: {
    modelsDir: string;
    targetDir: string;
    operatorTenant: string;
    /** Shared with an in-process schedule; the server makes its own when absent. */
    gate?: BuildGate;
    /** Where builds also send their OpenLineage events (COMPANYOS_OPENLINEAGE_URL). */
    lineageSink?: LineageSink;
  };
}


declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with how the policy gate treats it (`companyos policy coverage`). */
    routeInventory: RouteEntry[];
    /** The services this server serves (createPlatform). */
    platform: Platform;
    decisionLog: DecisionLog;
    ledgerStore: LedgerStore;
    /** The gate, for decisions a route takes per item (lists, graph walks, each tenant of an event batch). */
    policyGate: PolicyGate;
  }
}

const DEFAULT_LEASE_SWEEP_MS = 15_000;
/** A sweep job's lease lasts four sweeps, and at least this: a process killed holding one delays the job by that much. */
const JOB_LEASE_MIN_MS = 60_000;
const CLOUDEVENT_TYPES = ['application/cloudevents+json', 'application/cloudevents-batch+json'];

/** The platform API: routes, auth, errors, metrics and OpenAPI, ready to listen. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits };
  const app = Fastify({
    logger: loggerOptions(options.logLevel ?? 'info', options.logStream),
    bodyLimit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    ...timeoutOptions(limits),
    // Route schemas compiled once per process, whichever server asks (kit/shared-compilers.ts).
    schemaController: { compilersFactory: { buildSerializer: buildSharedSerializer } },
    clientErrorHandler,
    // Per-request logs only at debug: at ingest rates they cost more than they tell.
    logController: new TokenSafeLogController({ disableRequestLogging: options.logLevel !== 'debug' }),
    // Behind a TLS-terminating proxy, x-forwarded-proto tells the report cookie it travels over https.
    trustProxy: options.trustProxy ?? false,
    // Errors the router raises before any route (a path segment past maxParamLength, a malformed URL) answer from the catalogue too.
    frameworkErrors: (error, _request, reply) => {
      const domainError = toDomainError(error);
      // (The reply here is typed for no route in particular.)
      return reply.code(httpStatusOf(domainError) as never).send(errorBody(domainError) as never);
    },
  });
  capConnectionsPerIp(app.server, limits.maxConnectionsPerIp);
  answerExpectContinue(app);
  const platform = options.platform ?? (await createPlatform({
    warehouse: options.warehouse,
    state: options.state,
    filesDir: options.filesDir,
    policy: options.policy,
    ledger: options.ledger,
    dedupeWindowDays: options.dedupeWindowDays,
    operatorTenant: options.transforms?.operatorTenant,
    builds: options.transforms?.gate,
    clock: options.clock,
    models: { dir: options.transforms?.modelsDir, targetDir: options.transforms?.targetDir },
    tokenKeys: options.tokenKeys,
    webhookSecret: options.webhookSecret,
    backupsDir: options.backupsDir,
    s3: options.s3,
    continuousBackup: options.continuousBackup,
    newBackupBase: options.newBackupBase,
    backupSource: options.backupSource,
    retention: options.retention && { windows: options.retention },
    identity: options.identity,
    log: app.log,
  }));
  const { engine, decisions, ledger, entities, approvals, evidence, region, metrics, pipeline } = platform;

  // JSON nested deeper than MAX_JSON_DEPTH is refused (or, in an event batch, parked) before it is parsed.
  const jsonParser = depthLimitedJsonParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', ...CLOUDEVENT_TYPES], { parseAs: 'string' }, jsonParser);
  // NDJSON is split and parsed line by line in the route, so one bad line is parked, not the request refused.
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.addSchema(cloudEventSchema);
  app.addSchema(errorResponseSchema);
  validateRequests(app, [cloudEventSchema, errorResponseSchema]);
  documentRoutes(app);
  acceptDeprecatedSpellings(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CompanyOS platform API',
        version: API_VERSION,
        description: 'Metering events in, warehouse facts out. Every /v1 route needs a bearer token (`companyos token`). Fields are snake_case throughout (surfaces/http/README.md).',
        contact: { name: 'CompanyOS platform team' },
      },
      servers: [{ url: 'http://127.0.0.1:8080', description: '`companyos start` on this machine (PORT, HOST)' }],
      tags: [...API_TAGS],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) ?? `def-${i}` },
  });

  const serverEnv = platform.env;
  const bearer = new BearerTokens(options.tokens, platform.identity.providerTokens, platform.identity.apiKeys, { env: platform.env, region: platform.region });
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public) return;
    const browser = request.routeOptions.config.browser === true;
    if (browser) noReferrer(reply);
    const authorization = request.headers.authorization;
    // A page opened in a browser is signed in by a session (its identity provider's sign-in, or the local
    // development link); without a live one it is sent to sign in. Never a token in its URL.
    const session = browser && !authorization ? sessionCookie(request) : undefined;
    const principal = session === undefined ? undefined : await platform.identity.sessions.principal(session);
    if (browser && !authorization && !principal) {
      if (session !== undefined) clearSessionCookie(request, reply);
      if (request.method === 'GET') return reply.header('cache-control', 'no-store').redirect(signInLocation(request.url), 303);
      if (session !== undefined) throw new DomainError('AUTH_SESSION_ENDED');
    }
    request.principal = await platform.grants.apply(principal ?? (await bearer.verify(authorization)));
    // Every route, not only the policy-gated ones: a staging token is nothing in prod.
    if (request.principal.env !== serverEnv) throw new DomainError('AUTH_TOKEN_WRONG_ENV');
    // An API key calls what its scopes name, whatever its roles would allow.
    const { scopes } = request.principal;
    if (scopes && !scopesAllow(scopes, request.method, request.routeOptions.url ?? '')) throw new DomainError('API_KEY_SCOPE_FORBIDDEN');
    // An exchanged executor token works on its own run only.
    const { audience } = request.principal;
    if (audience !== undefined) {
      const runId = (request.params as { id?: string } | undefined)?.id;
      if (!(request.routeOptions.url ?? '').startsWith('/v1/workflows/runs/:id') || audience !== runAudience(runId ?? '')) throw new DomainError('TOKEN_AUDIENCE_FORBIDDEN');
    }
  });
  const quotas = options.tenantQuotas ? new TenantQuotas(options.tenantQuotas, options.quotaClock) : undefined;
  if (quotas) registerTenantQuotas(app, quotas);
  const selfMetering = options.selfMetering && options.selfMetering.sample > 0
    ? new SelfMetering(platform, { sample: options.selfMetering.sample, operatorTenant: platform.operatorTenant })
    : undefined;
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    selfMetering?.observe(request, reply);
  });
  const closeStepMs = options.closeStepMs ?? DEFAULT_CLOSE_STEP_MS;
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const domainError = answerForFailure(request, toDomainError(error));
    if (httpStatusOf(domainError) >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(httpStatusOf(domainError)).send(errorBody(domainError));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'NOT_FOUND', message: `There is no ${request.method} ${request.url}.` }),
  );
  refuseNonFiniteNumbers(app);

  const modelsDir = options.transforms?.modelsDir ?? 'models';
  const operatorTenant = platform.operatorTenant;
  if (platform.recoveredDecisions > 0) app.log.warn({ recovered: platform.recoveredDecisions }, 'decisions cited by receipts but missing from the decision log (a kill before their batch was written) were restored from the receipts');
  const workflows = await platform.workflows.resume();
  if (workflows.resumed.length > 0) app.log.warn({ runs: workflows.resumed }, 'workflow runs under way when the last process stopped were carried on from their last completed step');
  if (workflows.failed.length > 0) app.log.error({ runs: workflows.failed }, 'workflow runs under way when the last process stopped could not be carried on; the next start tries again');
  if (workflows.unknownType.length > 0) app.log.warn({ runs: workflows.unknownType }, 'workflow runs of types no pack of this process declares wait for one that does');
  // Grants end at their expiry on every request; this receipts their revocation soon after.
  // and reports approvals past their SLA (events, and the gauge the alert reads).
  // The packs' sweeps (set up with their routes below): stopped, and the one under way awaited, before the stores close.
  const packSweeps: { timer?: NodeJS.Timeout; running?: Promise<unknown> } = {};
  // Jobs that act on shared state run in one platform process at a time (a lease each, `JobLeases`);
  // the SLA check only reads and emits events whose ids dedupe, so every process keeps its gauge current.
  const sweepMs = options.leaseSweepMs ?? DEFAULT_LEASE_SWEEP_MS;
  const exclusive = <T>(job: string, work: () => Promise<T>) => platform.jobLeases.runExclusive(job, Math.max(JOB_LEASE_MIN_MS, 4 * sweepMs), work);
  const leaseSweep = setInterval(() => {
    exclusive('grant-expiry', () => platform.workflows.expireLeases())
      .catch((error: unknown) => app.log.error({ err: error }, 'could not revoke expired grants; the next sweep tries again'));
    platform.workflows.reportSlaBreaches()
      .then((overdue) => metrics.observeOverdueApprovals(overdue))
      .catch((error: unknown) => app.log.error({ err: error }, 'could not check approvals against their SLA; the next sweep tries again'));
    const retention = platform.retention;
    if (retention) {
      exclusive('retention', () => retention.runIfDue())
        .then((run) => run.ran && run.value && app.log.info({ purge: run.value.purgeId, counts: run.value.counts }, 'retention run done; its purge manifest is recorded'))
        .catch((error: unknown) => app.log.error({ err: error }, 'the retention run failed; the next sweep tries again'));
    }
  }, sweepMs);
  leaseSweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(leaseSweep);
    clearInterval(packSweeps.timer);
    await Promise.all([packSweeps.running, platform.retention?.settled()]);
    await Promise.all([
      closeWithin('decision log flush', closeStepMs, () => decisions.close(), app.log),
      closeWithin('ledger flush', closeStepMs, () => ledger.close(), app.log),
      // The platform's queued events (workflow metering, self-metering): a platform handed in is closed by its caller later.
      closeWithin('queued events flush', closeStepMs, () => platform.flushQueue(), app.log),
    ]);
    // A platform composed here is closed here (its state store); one handed in is its caller's.
    if (!options.platform) await platform.close();
  });
  app.decorate('platform', platform);
  app.decorate('decisionLog', decisions);
  app.decorate('ledgerStore', ledger);
  const policyGate = platform.gate;
  app.decorate('policyGate', policyGate);
  const timing = options.serverTiming ? serverTimingHooks(app) : undefined;
  app.decorate('routeInventory', registerPolicyGate(app, policyGate));
  timing?.after();

  const publisher = options.publishTo ? new KafkaEventPublisher(options.publishTo.brokers, options.publishTo.topic) : undefined;
  if (publisher) app.addHook('onClose', () => closeWithin('Kafka publisher close', closeStepMs, () => publisher.close(), app.log));
  // The events routes read bodies by CloudEvents content mode (binary mode takes any Content-Type): their own parser, in their own scope.
  void app.register(async (scope) => {
    registerEventBodyParser(scope, jsonParser);
    eventRoutes(scope, {
      warehouse: platform.warehouse,
      scope: platform.scope,
      pipeline,
      publisher,
      metrics,
      maxBatchEvents: options.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS,
      quotas,
      flushEvents: platform.flushEvents,
    });
  });
  quarantineRoutes(app, { scope: platform.scope });
  transformRoutes(app, {
    warehouse: platform.warehouse,
    modelsDir,
    targetDir: options.transforms?.targetDir ?? 'target',
    operatorTenant,
    gate: platform.builds,
    lineageSink: options.transforms?.lineageSink,
  });
  lineageRoutes(app, { warehouse: platform.warehouse });
  operationsRoutes(app, { warehouse: platform.warehouse, metrics });
  loginRoutes(app, platform.identity);
  apiKeyRoutes(app, platform.identity);
  tokenExchangeRoutes(app, { bearer, tokens: options.tokens, workflows: platform.workflows, ledger: platform.ledger, clock: platform.clock });
  scimRoutes(app, { directory: platform.identity.directory, jsonParser });
  reportRoutes(app, { scope: platform.scope, stateScope: platform.stateScope, flushEvents: platform.flushEvents });
  policyRoutes(app, { engine, decisions, region });
  provenanceRoutes(app, { ledger, evidence, region, stateScope: platform.stateScope });
  workflowRoutes(app, { workflows: platform.workflows, ledger, evidence });
  purgeRoutes(app, { workflows: platform.workflows });
  sideDoorRoutes(app, { workflows: platform.workflows });
  const packContext: PackContext = {
    warehouse: platform.warehouse,
    state: platform.state,
    modelsDir,
    operatorTenant,
    region,
    scope: platform.scope,
    stateScope: platform.stateScope,
    emit: platform.emit,
    clock: platform.clock,
    metrics,
    ledger,
    entities,
    approvals,
    evidence,
    billUploads: options.billUploads,
    invoiceWebhook: options.invoiceWebhook,
    workflows: platform.workflows,
    exportsDir: platform.exportsDir,
  };
  // Each pack's routes in a scope of their own (Fastify encapsulation): what a pack decorates stays its own.
  for (const pack of platform.packs) if (pack.routes) void app.register(async (scope) => pack.routes!(scope, packContext));
  // The packs' timers (SLA checks) on the same period as the workflows' sweep.
  const sweeping = platform.packs.filter((pack) => pack.sweep);
  if (sweeping.length > 0) {
    packSweeps.timer = setInterval(() => {
      // One at a time: a slow sweep is not started again on top of itself.
      packSweeps.running ??= Promise.all(sweeping.map((pack) =>
        exclusive(`pack-sweep/${pack.name}`, () => pack.sweep!(packContext)).catch((error: unknown) => app.log.error({ err: error, pack: pack.name }, 'a pack sweep failed; the next one tries again')),
      )).finally(() => (packSweeps.running = undefined));
    }, sweepMs);
    packSweeps.timer.unref();
  }

  if (options.kafka) {
    const consumer = new KafkaIngestConsumer(pipeline, {
      ...options.kafka,
      onBatch: (report) => metrics.observeKafkaBatch(report),
      onRetry: (error, attempt, waitMs) => app.log.warn({ err: error, attempt, waitMs }, 'warehouse write failed; retrying the Kafka batch'),
    });
    // Joining the group can wait for a crashed member's session to expire: serve HTTP meanwhile.
    app.addHook('onReady', async () => {
      consumer.start().catch((error: unknown) => app.log.error({ err: error }, 'the Kafka consumer could not start'));
    });
    app.addHook('onClose', () => closeWithin('Kafka consumer stop', closeStepMs, () => consumer.stop(), app.log));
  }
  return app;
}
