import { join } from 'node:path';
import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { openWarehouse } from '../../../kernel/warehouse/index.ts';
import { scheduledBuild, startSchedule } from '../../../platform/jobs/index.ts';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';
import { httpLineageSink } from '../../../platform/transforms/index.ts';
import { tenantZeroWeek } from '../../../packs/metering/index.ts';
import type { Platform } from '../../compose/index.ts';
import { buildServer, closeInOrder } from '../../http/index.ts';
import { LOCAL_DEVELOPMENT, loadIdentityProviders, TokenAuthority, TokenKeyFile, type Role } from '../../../platform/identity/index.ts';
import { AdjustableClock } from '../../../platform/workflows/index.ts';
import type { DemoServices } from '../../../packs/index.ts';
import { summarizeCoverage, type RouteEntry } from '../../http/kit/index.ts';
import { printBanner, type BannerFacts } from '../banner.ts';
import { forgetRunningPlatform, invoiceWebhookOf, jwtSecret, WEBHOOK_SECRET_FILE, loadConfig, localPlatformClient, recordRunningPlatform, warehouseConfig, type PlatformConfig } from '../kit/index.ts';
import { loadScheduleJobs, runPackJob } from './build.ts';
import { kafkaConsumerOptions } from './kafka.ts';
import { migratePlatform, platformTables } from '../../compose/index.ts';
import { BackupShipping, captureChanges, openBackupTarget, receiptEachBase } from '../../../platform/backup/index.ts';

/** After SIGTERM, the most the process takes to exit, whatever hangs. */
const SHUTDOWN_DEADLINE_MS = 9500;

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Migrate the warehouse and serve the API (the one process that owns an embedded warehouse).')
    .option('--no-seed', 'start empty: no demo week of summit-internal events, no simulated bill, no policy-coverage fact')
    .option('--schedule [file]', 'also run scheduled builds in this process (every 15 minutes, or the jobs of the file; see `companyos schedule`)')
    .action(async (options: { seed: boolean; schedule?: string | true }) => start(loadConfig(), options.seed, options.schedule));
}

/**
 * A scheduled job's lease, renewed while it runs and held this long after: the same firing reaching
 * another replica a little later finds it taken; a replica killed mid-job holds the job up this long at most.
 */
const SCHEDULED_JOB_LEASE_MS = 60_000;

async function start(config: PlatformConfig, seed: boolean, scheduleFile: string | true | undefined): Promise<void> {
  const warehouse = await openWarehouse(warehouseConfig(config));
  await migratePlatform(warehouse);
  const tokens = new TokenAuthority(await jwtSecret(config), { maxTtlSeconds: config.maxTokenTtlSeconds });
  // A secret in the data directory is rotated by a governed run; one from the environment is rotated where it is set.
  const tokenKeys = process.env.COMPANYOS_JWT_SECRET ? undefined : new TokenKeyFile(tokens, config.dataDir);
  await tokenKeys?.load();
  const identityProviders = config.identityProvidersFile ? await loadIdentityProviders(config.identityProvidersFile) : [];
  const { webhook: invoiceWebhook, secret: webhookSecret, rotated: rotatedWebhookSecret } = await invoiceWebhookOf(config);
  const lineageSink = config.openLineageUrl ? httpLineageSink(config.openLineageUrl) : undefined;
  const clock = new AdjustableClock();
  // With continuous backup, the platform writes through stores that record every change for shipping.
  const spoolDir = join(config.dataDir, 'backup-spool');
  const captured = config.backupShippingMs === undefined ? undefined : await captureChanges(warehouse, { tables: platformTables(), spoolDir, dataDir: config.dataDir });
  // Drills read the shipping's state; it starts once the platform (its ledger signs the bases) exists.
  const continuous: { shipping?: BackupShipping } = {};
  const app = await buildServer({
    continuousBackup: () => continuous.shipping?.status,
    newBackupBase: captured && (() => continuous.shipping ? continuous.shipping.newBaseNow() : Promise.reject(new Error('continuous backup has not taken its first base yet'))),
    backupSource: captured?.source,
    warehouse: captured?.warehouse ?? warehouse,
    clock,
    state: captured?.state ?? { dataDir: config.dataDir, url: config.stateUrl },
    filesDir: config.dataDir,
    backupsDir: config.backupsDir,
    s3: config.s3,
    retention: config.retention,
    tokens,
    identity: { providers: identityProviders, maxTokenTtlSeconds: config.maxTokenTtlSeconds },
    tokenKeys,
    maxBatchEvents: config.maxBatchEvents,
    tenantQuotas: config.tenantQuotas,
    maxBodyBytes: config.maxBodyBytes,
    billUploads: { maxBytes: config.maxBillBytes },
    dedupeWindowDays: config.dedupeWindowDays,
    logLevel: config.logLevel,
    trustProxy: config.trustProxy,
    connectionLimits: config.connectionLimits,
    kafka: config.kafka?.consume ? kafkaConsumerOptions(config.kafka) : undefined,
    publishTo: config.kafka && config.ingestMode === 'kafka' ? { brokers: config.kafka.brokers, topic: config.kafka.topics[0]! } : undefined,
    transforms: { modelsDir: 'models', targetDir: 'target', operatorTenant: TENANT_ZERO, lineageSink },
    invoiceWebhook,
    webhookSecret,
    policy: { env: config.env, region: config.region },
    selfMetering: { sample: config.selfMeteringSample },
    serverTiming: config.serverTiming,
    ledger: { keysDir: join(config.dataDir, 'keys') },
  });
  const { platform } = app;
  if (rotatedWebhookSecret) app.log.warn(`the invoice webhook is signed with the rotated secret in ${join(config.dataDir, WEBHOOK_SECRET_FILE)}; COMPANYOS_INVOICE_WEBHOOK_SECRET is superseded`);
  const seeded = seed ? await seedTenantZero(platform) : 0;
  if (seeded) progress(`seeded summit-internal's metering week: ${seeded.toLocaleString('en-US')} events`);
  // Before listening: a demo seed sets the platform's clock back to drive runs over the past week.
  const mint = (subject: string, roles: Role[]) => tokens.mint({ tenant: TENANT_ZERO, roles, subject, env: config.env, region: config.region });
  const demo = seeded ? await seedPackDemos(app, { ...platform, clock, mint }, await mint('companyos-start', ['operator'])) : undefined;
  const shipping = captured && new BackupShipping({
    target: openBackupTarget(config.backupsDir, config.s3), log: captured.log, snapshot: () => captured.source.begin(), key: () => platform.ledger.keyring.active,
    spoolDir, logger: app.log, everyMs: config.backupShippingMs, keepDays: config.backupKeepDays, onBase: receiptEachBase(platform.ledger, platform.operatorTenant, () => platform.engine.revision),
  });
  if (shipping) {
    continuous.shipping = shipping;
    await shipping.start();
    platform.metrics.watchBackupShipping(() => shipping.status);
  }
  await app.listen({ port: config.port, host: config.host });
  // --no-seed means an empty warehouse: summit-internal's own facts are part of the seed.
  if (seed) await recordPolicyCoverage(platform, app.routeInventory);
  const { port } = app.server.address() as { port: number };
  const url = `http://${reachableHost(config.host)}:${port}`;
  await recordRunningPlatform(config.dataDir, url);

  const schedule = scheduleFile
    ? startSchedule(
        await loadScheduleJobs(scheduleFile === true ? undefined : scheduleFile),
        // Every replica started with --schedule runs the schedule; each job's lease lets one of them run each firing.
        async (job) => {
          const run = await platform.jobLeases.runExclusive(`schedule/${job.name}`, SCHEDULED_JOB_LEASE_MS, async () => {
            if (job.run) {
              app.log.info({ job: job.name }, await runPackJob(job.run, localPlatformClient(platform, config)));
              return;
            }
            const report = await platform.builds.run(platform.warehouse, { generators: platform.generators, modelsDir: 'models', targetDir: 'target', ...scheduledBuild(job), tenant: TENANT_ZERO, lineageSink });
            app.log.info({ job: job.name, run: report.run_id, seconds: report.seconds, failed: report.results.filter((r) => r.status === 'error').length }, 'scheduled build done');
          }, { holdAfter: true });
          if (!run.ran) app.log.info({ job: job.name, holder: run.holder }, 'scheduled job left to the platform process running it');
        },
        (line) => app.log.warn(line),
      )
    : undefined;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping');
    // Stopped within 10 s even when ClickHouse or Kafka has gone away: each step is bounded, and so is the whole.
    setTimeout(() => {
      app.log.error({ signal, waitedMs: SHUTDOWN_DEADLINE_MS }, 'shutdown: still not done; exiting with the rest abandoned');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    // The warehouse's closing checkpoint gets what the earlier steps leave: over a second on a loaded machine.
    const finished = await closeInOrder(
      [
        { what: 'scheduled builds', capMs: 1000, step: () => schedule?.stop() },
        { what: 'API server, its writers and the Kafka clients', capMs: 7000, step: () => app.close() },
        { what: 'backup shipping (the last changes)', capMs: 2000, step: () => shipping?.stop() },
        { what: 'state store close', capMs: 1000, step: () => captured?.state.close() },
        { what: 'warehouse close', step: () => warehouse.close() },
      ],
      SHUTDOWN_DEADLINE_MS - 300,
      app.log,
    );
    await forgetRunningPlatform(config.dataDir);
    // 1 tells a supervisor that something was abandoned (unflushed rows, an uncommitted Kafka batch that will be redelivered).
    process.exit(finished ? 0 : 1);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const token = await tokens.mint({ tenant: TENANT_ZERO, roles: ['admin'], subject: 'companyos-start', env: config.env, region: config.region });
  printBanner({ url, config, warehouse, seeded, demo, token, reports: await reportsSignIn(platform, config, identityProviders.map((provider) => provider.name)) });
}

/** How people open the report pages: through the configured providers, or (not in prod) a one-use local sign-in link. */
async function reportsSignIn(platform: Platform, config: PlatformConfig, providers: string[]): Promise<BannerFacts['reports']> {
  if (providers.length) return { providers };
  if (config.env === 'prod') return { providers: [] };
  const principal = { tenant: TENANT_ZERO, roles: ['admin' as const], subject: LOCAL_DEVELOPMENT, env: config.env, region: config.region };
  return { providers: [], localCode: await platform.identity.sessions.localSignIn(principal, '/reports/summit-as-a-customer', LOCAL_SIGN_IN_TTL_MS) };
}

/** How long the printed local sign-in link works (once). */
const LOCAL_SIGN_IN_TTL_MS = 24 * 3_600_000;

/** On an empty warehouse, a realistic week of Tenant Zero metering, through the normal ingest path. */
async function seedTenantZero({ warehouse, pipeline }: Platform): Promise<number> {
  const [row] = await warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events');
  if (row!.n > 0) return 0;
  progress('an empty warehouse: seeding the demo (about half a minute; --no-seed starts empty)');
  const events = tenantZeroWeek(new Date());
  let accepted = 0;
  for (let i = 0; i < events.length; i += 5000) {
    accepted += (await pipeline.ingest(events.slice(i, i + 5000), { channel: 'seed', submitter: TENANT_ZERO })).accepted;
  }
  return accepted;
}

/** The address other processes on this machine use to reach a server bound to `host`. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The gate's coverage as this process serves it, as an event in summit-internal:
 * the leadership page reports it like any other fact.
 */
async function recordPolicyCoverage(platform: Platform, inventory: RouteEntry[]): Promise<void> {
  const { privileged, gatedPrivileged, unexplained } = summarizeCoverage(inventory);
  const now = new Date();
  const revision = platform.engine.bundle.revision.id;
  await platform.pipeline.ingest(
    [{
      specversion: '1.0',
      // One fact per bundle and route set: a restart of the same build records nothing new.
      id: `policy-coverage-${revision}-${gatedPrivileged}-of-${privileged}-${inventory.length}`,
      source: '/companyos/start',
      type: 'policy.coverage',
      time: now.toISOString(),
      tenantid: TENANT_ZERO,
      policyversion: revision,
      data: { privileged_routes: privileged, gated_and_receipted: gatedPrivileged, unexplained_routes: unexplained.length, routes: inventory.length },
    }],
    { channel: 'seed', submitter: TENANT_ZERO },
  );
}

/** Each pack's demo data, in registration order; one line for the banner. */
async function seedPackDemos(app: FastifyInstance, services: Platform & DemoServices, operatorToken: string): Promise<string | undefined> {
  const lines: string[] = [];
  for (const pack of services.packs) {
    if (!pack.seedDemo) continue;
    const started = performance.now();
    lines.push(await pack.seedDemo(app, services, operatorToken));
    progress(`seeded the ${pack.name} demo in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return lines.length ? lines.join('; ') : undefined;
}

/** A line on stderr while a start takes long (the demo seed): the banner, on stdout, comes once it serves. */
function progress(line: string): void {
  process.stderr.write(`companyos: ${line}\n`);
}
