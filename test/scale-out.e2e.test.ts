import { cp, mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { ensureKcat, findClickHouseServer, scratchWarehouse, startMockKafka, startLocalBalancer, startLocalClickHouseCluster, startLocalZooKeeper, type ClickHouseNode } from '../dev/index.ts';
import { openWarehouse } from '../kernel/warehouse/index.ts';
import { TokenAuthority } from '../platform/identity/index.ts';
import { killAllCliProcesses, startPlatform } from './support/cli.ts';
import { freshPostgresDatabase } from './support/postgres.ts';

const SECRET = 'scale-out-secret-scale-out-secret-0123456789';
const TENANTS = ['acme', 'globex'];
const WRITERS_PER_TENANT = 3;

interface Answer {
  at: number;
  status: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The scale-out profile's request path: two `companyos start` replicas sharing PostgreSQL (state, the
 * ledger's sequencing) and ClickHouse (events), behind HAProxy running deploy/scale-out/haproxy.cfg.
 */
/** The warehouse the replicas share: the run's ClickHouse server, or a 2 × 2 cluster of which one server is killed with the replica. */
interface SharedWarehouse {
  env: Record<string, string>;
  dataDir: string;
  cluster?: string;
  /** SIGKILLed at the moment the API replica is. */
  alsoKilled?: ClickHouseNode;
  /** Events are all readable some time after their 202 (through Kafka; once a killed ClickHouse server is back): waited for. */
  eventual?: boolean;
}

async function sharedWarehouse(kind: 'server' | 'cluster' | 'kafka'): Promise<SharedWarehouse> {
  if (kind !== 'cluster') {
    const scratch = await scratchWarehouse('clickhouse', inject('clickhouseUrl'));
    onTestFinished(() => scratch.dispose());
    if (kind === 'server') return { env: scratch.env, dataDir: scratch.dataDir };
    // Events through a 3-broker Kafka: the API publishes them keyed by tenant, each replica consumes its share.
    const kcat = ensureKcat();
    if ('missing' in kcat) throw new Error(kcat.missing);
    const kafka = await startMockKafka(kcat.binary, 20_000, { brokers: 3 });
    onTestFinished(() => kafka.stop());
    return {
      env: { ...scratch.env, COMPANYOS_KAFKA_BROKERS: kafka.brokers, COMPANYOS_KAFKA_TOPICS: 'scale-out.events', COMPANYOS_KAFKA_GROUP: 'scale-out', COMPANYOS_INGEST_MODE: 'kafka' },
      dataDir: scratch.dataDir,
      eventual: true,
    };
  }
  const zookeeper = await startLocalZooKeeper(inject('zookeeperJar')!);
  onTestFinished(() => zookeeper.stop());
  const cluster = await startLocalClickHouseCluster(findClickHouseServer()!, zookeeper);
  onTestFinished(() => cluster.stop());
  const scratch = await scratchWarehouse('clickhouse', cluster.nodes[0]!.url);
  onTestFinished(() => rm(scratch.dataDir, { recursive: true, force: true }));
  // The replicas talk to shard 1's first server; shard 2's first server dies under them (its peer takes its writes).
  const alsoKilled = cluster.nodes.find((n) => n.shard === 2 && n.replica === 1)!;
  // Replication is asynchronous: what the dead server took and had not yet passed on is there again once it returns.
  return { env: { ...scratch.env, COMPANYOS_CLICKHOUSE_CLUSTER: cluster.name }, dataDir: scratch.dataDir, cluster: cluster.name, alsoKilled, eventual: true };
}

describe.runIf(inject('clickhouseUrl') && inject('postgresUrl') && inject('haproxyBinary') && inject('zookeeperJar'))('scale-out: two API replicas behind HAProxy', () => {
  it.each([
    ['one ClickHouse server', 'server'],
    ['a ClickHouse cluster of 2 shards × 2 replicas, one of whose servers dies with the replica', 'cluster'],
    ['Kafka (3 brokers), each replica also a consumer of the events the API publishes', 'kafka'],
  ] as const)('on %s: lose no acknowledged write when a replica is SIGKILLed under load, and answer no 5xx once the balancer has taken it out', async (_, kind) => {
    onTestFinished(killAllCliProcesses);
    const harness = await sharedWarehouse(kind);
    const state = await freshPostgresDatabase(inject('postgresUrl')!);
    onTestFinished(() => state.drop());
    const env = { ...harness.env, COMPANYOS_STATE_URL: state.url, COMPANYOS_JWT_SECRET: SECRET };
    const first = await startPlatform(harness.dataDir, ['--no-seed'], { env, timeoutMs: 90_000 });
    // Replicas sign receipts with the same keys (in production a shared secret volume).
    const secondDir = await mkdtemp(join(tmpdir(), 'companyos-replica-'));
    onTestFinished(() => rm(secondDir, { recursive: true, force: true }));
    await cp(join(harness.dataDir, 'keys'), join(secondDir, 'keys'), { recursive: true });
    const second = await startPlatform(secondDir, ['--no-seed'], { env: { ...env, COMPANYOS_DATA_DIR: secondDir }, timeoutMs: 90_000 });
    const balancer = await startLocalBalancer(inject('haproxyBinary')!, [first, second].map((p) => new URL(p.url).host));
    onTestFinished(() => balancer.stop());

    const authority = new TokenAuthority(SECRET);
    const tokens = Object.fromEntries(await Promise.all(TENANTS.map(async (tenant) => [tenant, await authority.mint({ tenant, roles: ['operator', 'writer'], subject: 'load' })] as const)));
    const answers: Answer[] = [];
    const acked = { events: new Map<string, string>(), entities: new Map<string, string>() };
    /** A request through the balancer; a connection it closed without an answer is status 0. */
    const call = async (tenant: string, method: string, path: string, body?: unknown) => {
      try {
        const response = await fetch(`${balancer.url}${path}`, {
          method, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[tenant]}` }, body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        answers.push({ at: Date.now(), status: response.status });
        return { status: response.status, body: text };
      } catch (error) {
        answers.push({ at: Date.now(), status: 0 });
        return { status: 0, body: String(error) };
      }
    };
    const failed = (a: Answer) => a.status === 0 || a.status >= 500;

    let stopping = false;
    const writer = async (tenant: string, w: number) => {
      for (let i = 0; !stopping; i++) {
        const id = `${tenant}-w${w}-${i}`;
        const event = await call(tenant, 'POST', '/v1/events', [{ specversion: '1.0', id, source: '/scale-out', type: 'usage.recorded', time: new Date().toISOString(), tenantid: tenant, policyversion: 'v1', data: { units: i } }]);
        if (event.status === 202) acked.events.set(id, tenant);
        const entity = await call(tenant, 'POST', '/v1/entities', { id: `asset-${id}`, type: 'Asset', name: `replicated ${id}` });
        if (entity.status === 201) acked.entities.set(`asset-${id}`, tenant);
      }
    };
    const writers = TENANTS.flatMap((tenant) => Array.from({ length: WRITERS_PER_TENANT }, (_, w) => writer(tenant, w)));
    await sleep(3000);
    const before = acked.entities.size;
    process.kill(first.pid, 'SIGKILL');
    const killedAt = Date.now();
    await harness.alsoKilled?.kill();
    await sleep(6000);
    stopping = true;
    await Promise.all(writers);

    // Hostile bodies through the balancer get the platform's 4xx, not a balancer error: 10,000 levels deep, and larger than any body accepted.
    const deep = await fetch(`${balancer.url}/v1/entities`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.acme}` }, body: `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    });
    expect([deep.status, ((await deep.json()) as { code?: string }).code]).toEqual([400, 'BODY_TOO_DEEP']);
    // A 2 GB upload announced with Expect: 100-continue is refused before a byte of it is sent.
    const huge = await new Promise<{ status: number; body: string; sent: boolean }>((resolve, reject) => {
      let sent = false;
      const req = httpRequest(`${balancer.url}/v1/events`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 2 * 1024 ** 3, expect: '100-continue', authorization: `Bearer ${tokens.acme}` },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), sent }));
      });
      req.on('continue', () => {
        sent = true;
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect([huge.status, (JSON.parse(huge.body) as { code?: string }).code, huge.sent]).toEqual([413, 'BODY_TOO_LARGE', false]);

    // Failover settles once the balancer has seen two failed checks (500 ms apart); after that, no 5xx.
    const settled = killedAt + 3000;
    expect(answers.filter((a) => a.at > settled && failed(a))).toEqual([]);
    expect(answers.filter((a) => a.at < killedAt && failed(a))).toEqual([]);
    expect(before).toBeGreaterThan(10);
    expect(acked.entities.size - before).toBeGreaterThan(10);

    // The killed ClickHouse server comes back (its disk kept what it acknowledged); then every acknowledged event is
    // stored once, and every acknowledged entity is there, read through the balancer.
    await harness.alsoKilled?.restart();
    const warehouse = await openWarehouse({
      engine: 'clickhouse', dataDir: harness.dataDir,
      clickhouse: { url: harness.env.COMPANYOS_CLICKHOUSE_URL!, database: harness.env.COMPANYOS_CLICKHOUSE_DATABASE!, cluster: harness.cluster },
    });
    onTestFinished(() => warehouse.close());
    const storedCounts = async () => new Map((await warehouse.query<{ id: string; n: number }>(
      `SELECT id, toUInt32(count()) AS n FROM events FINAL WHERE source = '/scale-out' GROUP BY id`,
    )).map((row) => [row.id, Number(row.n)]));
    let counts = await storedCounts();
    // Through Kafka, the surviving consumer takes the dead one's partitions after its session (10 s) and catches up;
    // on the cluster, the returned server passes on what it had not replicated.
    for (const deadline = Date.now() + 90_000; harness.eventual && [...acked.events.keys()].some((id) => !counts.has(id)) && Date.now() < deadline;) {
      await sleep(1000);
      counts = await storedCounts();
    }
    expect([...acked.events.keys()].filter((id) => counts.get(id) !== 1)).toEqual([]);
    for (const [id, tenant] of acked.entities) expect((await call(tenant, 'GET', `/v1/entities/${id}`)).status, id).toBe(200);

    // Each tenant's receipt log, appended by both replicas, is one contiguous sequence.
    const client = new pg.Client({ connectionString: state.url });
    await client.connect();
    try {
      const logs = await client.query<{ tenant_id: string; n: string; first: string; last: string }>(
        'SELECT tenant_id, count(*) AS n, min(log_index) AS first, max(log_index) AS last FROM ledger_entries GROUP BY tenant_id',
      );
      for (const tenant of TENANTS) {
        const log = logs.rows.find((row) => row.tenant_id === tenant)!;
        expect(Number(log.n)).toBeGreaterThanOrEqual([...acked.entities.values()].filter((t) => t === tenant).length);
        expect([Number(log.first), Number(log.last)]).toEqual([0, Number(log.n) - 1]);
      }
    } finally {
      await client.end();
    }
    await second.stop('SIGTERM');
  }, 240_000);
});
