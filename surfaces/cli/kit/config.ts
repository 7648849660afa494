import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_MAX_BATCH_EVENTS, DEFAULT_MAX_BILL_BYTES, DEFAULT_MAX_BODY_BYTES } from '../../http/kit/index.ts';
import { DEFAULT_WEBHOOK, type WebhookConfig } from '../../../packs/finops/index.ts';
import { DEFAULT_DEDUPE_WINDOW_DAYS } from '../../../platform/ingest/index.ts';
import { DUCKDB_STORAGE_VERSION, duckdbStorageVersion, type WarehouseConfig } from '../../../kernel/warehouse/index.ts';
import { DEFAULT_MAX_TOKEN_TTL_SECONDS, durationSeconds, formatDuration, JWT_SECRET_FILE } from '../../../platform/identity/index.ts';
import { parseRetentionDays, RetentionWindowsError, type RetentionWindows } from '../../../platform/retention/index.ts';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../../http/kit/index.ts';
import { parseQuotaConfig, type QuotaConfig } from '../../../platform/tenancy/index.ts';

/** Per tenant and platform process: far above what one tenant of a healthy company sends, low enough that one cannot starve the rest. */
const DEFAULT_TENANT_QUOTAS = 'requests=2000,ingest-events=500000';

export interface PlatformConfig {
  dataDir: string;
  /** Where the running platform's backups go (DR drills, continuous backup): a directory or `s3://bucket[/prefix]`. */
  backupsDir: string;
  /** The S3-compatible endpoint for an `s3://` backup location (AWS's own when undefined) and the region. */
  s3: { endpoint?: string; region?: string };
  /** The weekly retention run's windows; undefined when COMPANYOS_RETENTION is off (the default). */
  retention: RetentionWindows | undefined;
  /** Continuous backup to `backupsDir`: how often changes are shipped (ms); undefined when COMPANYOS_BACKUP_SHIPPING is off (the default). */
  backupShippingMs: number | undefined;
  /** Continuous backup keeps what a restore to any of this many past days needs. */
  backupKeepDays: number;
  /** `COMPANYOS_STATE_URL`: the state in PostgreSQL. */
  stateUrl?: string;
  engine: string;
  clickhouse: { url: string; database: string; cluster?: string };
  /** Set when COMPANYOS_KAFKA_BROKERS is. */
  kafka: { brokers: string[]; topics: string[]; group: string; consume: boolean } | null;
  /** `kafka`: POST /v1/events publishes to the first Kafka topic instead of writing. */
  ingestMode: 'warehouse' | 'kafka';
  port: number;
  host: string;
  maxBatchEvents: number;
  /** Per-tenant rates on the API (COMPANYOS_TENANT_QUOTAS). */
  tenantQuotas: QuotaConfig;
  maxBodyBytes: number;
  /** Largest bill file `POST /v1/finops/bills` streams to disk. */
  maxBillBytes: number;
  dedupeWindowDays: number;
  logLevel: string;
  /** Header, body and keep-alive timeouts and the per-address connection cap. */
  connectionLimits: ConnectionLimits;
  /** The longest lifetime a bearer token may have, minted or presented. */
  maxTokenTtlSeconds: number;
  /** Trust X-Forwarded-* (the proxy terminates TLS): true, or the proxy addresses. */
  trustProxy: boolean | string;
  /** Share of API requests recorded as `api.requests_total` events for the SLO models (0 turns it off). */
  selfMeteringSample: number;
  /** Answer each request with a `Server-Timing` header (COMPANYOS_SERVER_TIMING). */
  serverTiming: boolean;
  /** Where this server runs, as policies see it: tokens of another environment are refused. */
  env: string;
  /** This server's region: restricted data is served to principals of the same region only. */
  region: string;
  /** Builds also POST their OpenLineage events here. */
  openLineageUrl: string | undefined;
  /** `COMPANYOS_IDENTITY_PROVIDERS`: the file naming the tenants' OIDC providers, whose access tokens the API accepts. */
  identityProvidersFile: string | undefined;
  /** Where generated invoices are delivered; set when COMPANYOS_INVOICE_WEBHOOK_URL is. */
  invoiceWebhook: WebhookConfig | undefined;
}

/** Every environment variable the platform reads, for `--help` and the README. */
export const ENVIRONMENT = [
  ['COMPANYOS_DATA_DIR', './.companyos', 'Where the embedded warehouse, the JWT secret and the running platform\'s address live.'],
  ['COMPANYOS_BACKUP_DIR', '$COMPANYOS_DATA_DIR/backups', 'Where backups go (DR drills, continuous backup; `companyos backup --to` names its own): a directory on another volume than the data, or s3://bucket[/prefix] (credentials from the AWS_* variables or profile).'],
  ['COMPANYOS_S3_ENDPOINT', '(none)', 'The S3-compatible server of an s3:// backup location (MinIO, Ceph…); AWS itself when unset (region: AWS_REGION, else us-east-1).'],
  ['COMPANYOS_BACKUP_SHIPPING', 'off', 'Continuous backup to COMPANYOS_BACKUP_DIR (embedded DuckDB): off, on (a base snapshot at start, then the changes shipped every second), or the seconds between shipments (1 to 5): the most a kill loses.'],
  ['COMPANYOS_STATE_URL', '(none)', 'Operational state (entities, approvals, workflows, the ledger, invoices) in PostgreSQL, postgres://user:password@host:5432/database, shared by every platform process (the scale-out profile); by default it is embedded (DuckDB).'],
  ['COMPANYOS_BACKUP_KEEP_DAYS', '35', 'Continuous backup keeps what a restore to any of this many past days needs; older bases and their changes are removed after each new base (the newest complete one is always kept).'],
  ['COMPANYOS_RETENTION', 'off', 'The weekly retention run: off, on (raw-events=400, quarantine=30, bills=760, run-history=90, decision-log=400, evidence=2555, audit=2555, financial-record=3650 days), or class=days pairs over those (raw-events=90,bills=keep); each run leaves a signed purge manifest.'],
  ['COMPANYOS_WAREHOUSE', 'duckdb', 'Warehouse engine: duckdb (embedded) or clickhouse.'],
  ['COMPANYOS_DUCKDB_STORAGE_VERSION', DUCKDB_STORAGE_VERSION, 'The DuckDB storage format new DuckDB files (the embedded warehouse, state.duckdb, a restore) are created in; v1.0.0 keeps them readable by DuckDB 0.10–1.3. A file keeps the format it was created in.'],
  ['COMPANYOS_CLICKHOUSE_URL', 'http://127.0.0.1:8123', 'ClickHouse HTTP interface, credentials in the URL if any (http://user:password@host:8123).'],
  ['COMPANYOS_CLICKHOUSE_DATABASE', 'companyos', 'ClickHouse database; created if missing.'],
  ['COMPANYOS_CLICKHOUSE_CLUSTER', '(none)', 'A cluster of the ClickHouse servers\' remote_servers (coordinated by ZooKeeper): tables become Replicated…MergeTree on every server behind Distributed tables sharded by tenant.'],
  ['COMPANYOS_KAFKA_BROKERS', '(none)', 'Kafka bootstrap brokers, comma-separated; when set, `start` also consumes events from Kafka.'],
  ['COMPANYOS_KAFKA_TOPICS', 'companyos.events', 'Topics to consume, comma-separated; refused messages go to <topic>.dlq.'],
  ['COMPANYOS_KAFKA_GROUP', 'companyos-ingest', 'Kafka consumer group.'],
  ['COMPANYOS_KAFKA_CONSUME', 'true', 'false: `start` does not consume (API replicas that only publish, beside `companyos kafka consume` processes of their own).'],
  ['COMPANYOS_INGEST_MODE', 'warehouse', 'warehouse: POST /v1/events writes; kafka: it publishes validated events to the first topic and the consumer writes them.'],
  ['PORT', '8080', 'API port.'],
  ['HOST', '127.0.0.1', 'API address to listen on.'],
  ['COMPANYOS_JWT_SECRET', '(generated)', 'HS256 secret for bearer tokens; if unset, one is generated into the data dir on first use.'],
  ['COMPANYOS_MAX_BATCH', String(DEFAULT_MAX_BATCH_EVENTS), 'Most events accepted in one POST /v1/events.'],
  ['COMPANYOS_TENANT_QUOTAS', DEFAULT_TENANT_QUOTAS, 'Per-tenant rates a second, counted in each platform process: off, or [tenant:]kind=rate pairs — kinds requests (every API call) and ingest-events (events posted); acme:ingest-events=5000 for one tenant, unlimited lifts one. Beyond it: 429 TENANT_QUOTA_EXCEEDED with Retry-After.'],
  ['COMPANYOS_MAX_BODY_BYTES', String(DEFAULT_MAX_BODY_BYTES), 'Largest request body, in bytes.'],
  ['COMPANYOS_MAX_BILL_BYTES', String(DEFAULT_MAX_BILL_BYTES), 'Largest bill file POST /v1/finops/bills accepts, in bytes (streamed to a temporary file, never held in memory).'],
  ['COMPANYOS_DEDUPE_DAYS', String(DEFAULT_DEDUPE_WINDOW_DAYS), 'A repeat of (tenant, source, id) within this many days is never stored twice.'],
  ['COMPANYOS_OPENLINEAGE_URL', '(none)', 'Builds also POST their OpenLineage run events here (e.g. Marquez: http://host:5000/api/v1/lineage); they are always stored in the warehouse.'],
  ['COMPANYOS_INVOICE_WEBHOOK_URL', '(none)', 'POST /v1/finops/invoices:generate delivers each invoice here (HMAC-signed); without it invoices are only stored.'],
  ['COMPANYOS_INVOICE_WEBHOOK_SECRET', '(none)', 'HMAC-SHA256 key for the x-companyos-signature header; required with the URL, at least 32 characters.'],
  ['COMPANYOS_INVOICE_WEBHOOK_ATTEMPTS', String(DEFAULT_WEBHOOK.maxAttempts), 'Delivery attempts per invoice, with exponential backoff between them.'],
  ['COMPANYOS_SELF_METERING_SAMPLE', '1', 'Share of API requests (0–1) the platform records about itself as api.requests_total events, for its SLOs; 0 turns it off.'],
  ['COMPANYOS_SERVER_TIMING', 'false', 'true: every answer carries a W3C Server-Timing header of where its time went in the server (auth, parse, gate, handler, receipt), for load tests.'],
  ['COMPANYOS_ENV', 'dev', 'The environment this server is (prod, staging, dev): policies refuse tokens minted for another, and restricted data is served in prod only.'],
  ['COMPANYOS_REGION', 'local', 'The region this server runs in: restricted data is served to principals of the same region only.'],
  ['COMPANYOS_HEADERS_TIMEOUT_MS', String(DEFAULT_CONNECTION_LIMITS.headersTimeoutMs), 'A client must send a request\'s headers within this many milliseconds, or gets 408 and is disconnected.'],
  ['COMPANYOS_REQUEST_TIMEOUT_MS', String(DEFAULT_CONNECTION_LIMITS.requestTimeoutMs), 'A client must send a whole request, body included, within this many milliseconds (slow-drip bodies get 408).'],
  ['COMPANYOS_KEEP_ALIVE_TIMEOUT_MS', String(DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs), 'An idle keep-alive connection is closed after this many milliseconds.'],
  ['COMPANYOS_MAX_CONNECTIONS_PER_IP', String(DEFAULT_CONNECTION_LIMITS.maxConnectionsPerIp), 'Open connections one client address may hold; more are answered 429 and closed (0: no cap; raise it behind a proxy).'],
  ['COMPANYOS_MAX_TOKEN_TTL', formatDuration(DEFAULT_MAX_TOKEN_TTL_SECONDS), 'Longest lifetime of a bearer token (15m, 24h, 30d): `token --ttl` refuses more, the API refuses tokens that live longer.'],
  ['COMPANYOS_TRUST_PROXY', 'false', 'true, or the proxy addresses (comma-separated): trust X-Forwarded-Proto/-For from the TLS-terminating proxy in front (report cookies become Secure).'],
  ['COMPANYOS_LOG_LEVEL', 'info', 'fatal, error, warn, info, debug (debug logs every request) or silent.'],
] as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  try {
    // Read again where each DuckDB file is opened. Its form is checked here, so a mistyped value stops the start; a
    // version DuckDB does not know is refused when a file is opened.
    duckdbStorageVersion(env);
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
  return {
    dataDir: resolve(env.COMPANYOS_DATA_DIR || './.companyos'),
    backupsDir: env.COMPANYOS_BACKUP_DIR?.startsWith('s3://') ? env.COMPANYOS_BACKUP_DIR : resolve(env.COMPANYOS_BACKUP_DIR || join(env.COMPANYOS_DATA_DIR || './.companyos', 'backups')),
    s3: { endpoint: env.COMPANYOS_S3_ENDPOINT || undefined, region: env.AWS_REGION || undefined },
    retention: retentionOf(env.COMPANYOS_RETENTION),
    backupShippingMs: shippingOf(env.COMPANYOS_BACKUP_SHIPPING),
    backupKeepDays: keepDaysOf(env.COMPANYOS_BACKUP_KEEP_DAYS),
    stateUrl: env.COMPANYOS_STATE_URL || undefined,
    engine: env.COMPANYOS_WAREHOUSE || 'duckdb',
    clickhouse: {
      url: env.COMPANYOS_CLICKHOUSE_URL || 'http://127.0.0.1:8123',
      database: env.COMPANYOS_CLICKHOUSE_DATABASE || 'companyos',
      cluster: env.COMPANYOS_CLICKHOUSE_CLUSTER || undefined,
    },
    kafka: env.COMPANYOS_KAFKA_BROKERS
      ? {
          brokers: list(env.COMPANYOS_KAFKA_BROKERS),
          topics: list(env.COMPANYOS_KAFKA_TOPICS || 'companyos.events'),
          group: env.COMPANYOS_KAFKA_GROUP || 'companyos-ingest',
          consume: flag(env, 'COMPANYOS_KAFKA_CONSUME', true),
        }
      : null,
    ingestMode: ingestMode(env),
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '127.0.0.1',
    maxBatchEvents: integer(env, 'COMPANYOS_MAX_BATCH', DEFAULT_MAX_BATCH_EVENTS, 1, 1_000_000),
    tenantQuotas: tenantQuotasOf(env.COMPANYOS_TENANT_QUOTAS),
    maxBodyBytes: integer(env, 'COMPANYOS_MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1024, 1024 ** 3),
    maxBillBytes: integer(env, 'COMPANYOS_MAX_BILL_BYTES', DEFAULT_MAX_BILL_BYTES, 1024, 1024 ** 4),
    dedupeWindowDays: integer(env, 'COMPANYOS_DEDUPE_DAYS', DEFAULT_DEDUPE_WINDOW_DAYS, 1, 3650),
    logLevel: env.COMPANYOS_LOG_LEVEL || 'info',
    connectionLimits: {
      headersTimeoutMs: integer(env, 'COMPANYOS_HEADERS_TIMEOUT_MS', DEFAULT_CONNECTION_LIMITS.headersTimeoutMs, 100, 3_600_000),
      requestTimeoutMs: integer(env, 'COMPANYOS_REQUEST_TIMEOUT_MS', DEFAULT_CONNECTION_LIMITS.requestTimeoutMs, 100, 3_600_000),
      keepAliveTimeoutMs: integer(env, 'COMPANYOS_KEEP_ALIVE_TIMEOUT_MS', DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs, 100, 3_600_000),
      maxConnectionsPerIp: integer(env, 'COMPANYOS_MAX_CONNECTIONS_PER_IP', DEFAULT_CONNECTION_LIMITS.maxConnectionsPerIp, 0, 1_000_000),
    },
    maxTokenTtlSeconds: lifetime(env, 'COMPANYOS_MAX_TOKEN_TTL', DEFAULT_MAX_TOKEN_TTL_SECONDS),
    trustProxy: trustProxy(env.COMPANYOS_TRUST_PROXY),
    selfMeteringSample: share(env.COMPANYOS_SELF_METERING_SAMPLE, 'COMPANYOS_SELF_METERING_SAMPLE', 1),
    serverTiming: flag(env, 'COMPANYOS_SERVER_TIMING', false),
    env: env.COMPANYOS_ENV || 'dev',
    region: env.COMPANYOS_REGION || 'local',
    openLineageUrl: env.COMPANYOS_OPENLINEAGE_URL || undefined,
    identityProvidersFile: env.COMPANYOS_IDENTITY_PROVIDERS || undefined,
    invoiceWebhook: invoiceWebhook(env),
  };
}

function invoiceWebhook(env: NodeJS.ProcessEnv): WebhookConfig | undefined {
  const url = env.COMPANYOS_INVOICE_WEBHOOK_URL;
  if (!url) return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new ConfigError(`COMPANYOS_INVOICE_WEBHOOK_URL must be an http(s) URL; got "${url}".`);
  const secret = env.COMPANYOS_INVOICE_WEBHOOK_SECRET ?? '';
  if (secret.length < 32) throw new ConfigError('COMPANYOS_INVOICE_WEBHOOK_URL needs COMPANYOS_INVOICE_WEBHOOK_SECRET, at least 32 characters, to sign deliveries.');
  return { ...DEFAULT_WEBHOOK, url, secret, maxAttempts: integer(env, 'COMPANYOS_INVOICE_WEBHOOK_ATTEMPTS', DEFAULT_WEBHOOK.maxAttempts, 1, 20) };
}

/** Where the configured warehouse lives, for `openWarehouse`. */
export function warehouseConfig(config: PlatformConfig): WarehouseConfig {
  return { engine: config.engine, dataDir: config.dataDir, clickhouse: config.clickhouse };
}

/** The JWT secret: from the environment, or generated once into the data dir. */
export async function jwtSecret(config: PlatformConfig, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.COMPANYOS_JWT_SECRET) {
    if (env.COMPANYOS_JWT_SECRET.length < 32) throw new ConfigError('COMPANYOS_JWT_SECRET must be at least 32 characters.');
    return env.COMPANYOS_JWT_SECRET;
  }
  const path = join(config.dataDir, JWT_SECRET_FILE);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(path, 'utf8')).trim();
    throw error;
  }
}

function ingestMode(env: NodeJS.ProcessEnv): 'warehouse' | 'kafka' {
  const mode = env.COMPANYOS_INGEST_MODE || 'warehouse';
  if (mode !== 'warehouse' && mode !== 'kafka') throw new ConfigError(`COMPANYOS_INGEST_MODE is warehouse or kafka; got "${mode}".`);
  if (mode === 'kafka' && !env.COMPANYOS_KAFKA_BROKERS) throw new ConfigError('COMPANYOS_INGEST_MODE=kafka needs COMPANYOS_KAFKA_BROKERS.');
  return mode;
}

function lifetime(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const seconds = durationSeconds(raw);
  if (!seconds) throw new ConfigError(`${name} must be a lifetime like 15m, 24h or 30d; got "${raw}".`);
  return seconds;
}

function trustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  return raw === 'true' ? true : raw;
}

function list(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name} is true or false; got "${raw}".`);
  return raw === 'true';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${raw}".`);
  }
  return value;
}

/** A share between 0 and 1. */
function share(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) throw new ConfigError(`${name} must be a number from 0 to 1; got "${value}".`);
  return parsed;
}

/** COMPANYOS_BACKUP_SHIPPING: off (or unset), on (every second), or whole seconds from 1 to 5 between shipments. */
function shippingOf(value: string | undefined): number | undefined {
  const setting = (value ?? '').trim();
  if (setting === '' || setting === 'off') return undefined;
  if (setting === 'on') return 1000;
  if (/^[1-5]$/.test(setting)) return Number(setting) * 1000;
  throw new ConfigError(`COMPANYOS_BACKUP_SHIPPING must be off, on, or the seconds between shipments from 1 to 5 (what a kill may lose); got "${value}".`);
}

/** COMPANYOS_BACKUP_KEEP_DAYS: whole days, 35 when unset. */
function keepDaysOf(value: string | undefined): number {
  const setting = (value ?? '').trim();
  if (setting === '') return 35;
  if (/^[1-9]\d{0,4}$/.test(setting)) return Number(setting);
  throw new ConfigError(`COMPANYOS_BACKUP_KEEP_DAYS must be a whole number of days from 1 to 99999; got "${value}".`);
}

function tenantQuotasOf(text: string | undefined): QuotaConfig {
  try {
    return parseQuotaConfig(text || DEFAULT_TENANT_QUOTAS);
  } catch (error) {
    throw new ConfigError(`COMPANYOS_TENANT_QUOTAS: ${(error as Error).message}.`);
  }
}

/** COMPANYOS_RETENTION: off (or unset), on (the default windows), or class=days pairs over them. */
function retentionOf(value: string | undefined): RetentionWindows | undefined {
  const setting = (value ?? '').trim();
  if (setting === '' || setting === 'off') return undefined;
  try {
    return parseRetentionDays(setting === 'on' ? '' : setting);
  } catch (error) {
    if (error instanceof RetentionWindowsError) throw new ConfigError(`COMPANYOS_RETENTION: ${error.message}`);
    throw error;
  }
}
