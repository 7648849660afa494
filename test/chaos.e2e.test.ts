import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { ensureKcat, findClickHouseServer, scratchWarehouse, startLocalBalancer, startLocalClickHouseCluster, startLocalZooKeeper, startMockKafka } from '../dev/index.ts';
import { ACTIONS } from '../kernel/policies/index.ts';
import { openWarehouse } from '../kernel/warehouse/index.ts';
import { BalancedLoad } from './support/balanced-load.ts';
import { killAllCliProcesses, runCli, spawnCli, startPlatform } from './support/cli.ts';
import { freshPostgresDatabase } from './support/postgres.ts';
import { waitFor } from './support/wait-for.ts';

const SECRET = 'chaos-secret-chaos-secret-chaos-secret-0123456789';
const TENANTS = ['acme', 'globex'];
const SESSION_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `companyos kafka consume`, resolved once it has joined its group's run loop. */
const consumerOutput: string[] = [];

async function startConsumer(dataDir: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawnCli(['kafka', 'consume'], dataDir, env);
  const at = consumerOutput.push('') - 1;
  let output = '';
  child.stdout!.on('data', () => (consumerOutput[at] = output));
  child.stderr!.on('data', () => (consumerOutput[at] = output));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  for (const deadline = Date.now() + 60_000; !output.includes('consuming '); await sleep(100)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the consumer did not start:\n${output}`);
  }
  return child;
}

/**
 * The scale-out profile under every fault at once: ZooKeeper, a 2 × 2 ClickHouse cluster, PostgreSQL, a 3-broker
 * Kafka, two API replicas (publishing events to Kafka) behind HAProxy and two `companyos kafka consume` processes.
 * While writers post events and privileged calls through the balancer, an API replica, a consumer and a ClickHouse
 * server are SIGKILLed, and the other consumer is paused (SIGSTOP) past its session timeout.
 */
describe.runIf(inject('clickhouseUrl') && inject('postgresUrl') && inject('haproxyBinary') && inject('zookeeperJar'))('chaos: the scale-out profile under faults', () => {
  it('loses no acknowledged event, entity write or receipt, and answers no 5xx once failover settles', async () => {
    onTestFinished(killAllCliProcesses);
    const kcat = ensureKcat();
    if ('missing' in kcat) throw new Error(kcat.missing);
    const [zookeeper, kafka, state] = await Promise.all([
      startLocalZooKeeper(inject('zookeeperJar')!),
      startMockKafka(kcat.binary, 20_000, { brokers: 3 }),
      freshPostgresDatabase(inject('postgresUrl')!),
    ]);
    onTestFinished(() => zookeeper.stop());
    onTestFinished(() => kafka.stop());
    onTestFinished(() => state.drop());
    const cluster = await startLocalClickHouseCluster(findClickHouseServer()!, zookeeper);
    onTestFinished(() => cluster.stop());
    const scratch = await scratchWarehouse('clickhouse', cluster.nodes[0]!.url);
    onTestFinished(() => rm(scratch.dataDir, { recursive: true, force: true }));
    const env = {
      ...scratch.env,
      COMPANYOS_CLICKHOUSE_CLUSTER: cluster.name,
      COMPANYOS_STATE_URL: state.url,
      COMPANYOS_JWT_SECRET: SECRET,
      COMPANYOS_KAFKA_BROKERS: kafka.brokers,
      COMPANYOS_KAFKA_TOPICS: 'chaos.events',
      COMPANYOS_KAFKA_GROUP: 'chaos',
      COMPANYOS_INGEST_MODE: 'kafka',
      COMPANYOS_KAFKA_CONSUME: 'false',
    };
    /** Another process's data dir with the first one's signing keys (in production a shared secret volume). */
    const processDir = async () => {
      const dir = await mkdtemp(join(tmpdir(), 'companyos-chaos-'));
      onTestFinished(() => rm(dir, { recursive: true, force: true }));
      await cp(join(scratch.dataDir, 'keys'), join(dir, 'keys'), { recursive: true });
      return { ...env, COMPANYOS_DATA_DIR: dir };
    };

    const first = await startPlatform(scratch.dataDir, ['--no-seed'], { env, timeoutMs: 90_000 });
    const [secondEnv, consumerAEnv, consumerBEnv] = await Promise.all([processDir(), processDir(), processDir()]);
    const [second, consumerA, consumerB] = await Promise.all([
      startPlatform(secondEnv.COMPANYOS_DATA_DIR, ['--no-seed'], { env: secondEnv, timeoutMs: 90_000 }),
      startConsumer(consumerAEnv.COMPANYOS_DATA_DIR, consumerAEnv),
      startConsumer(consumerBEnv.COMPANYOS_DATA_DIR, consumerBEnv),
    ]);
    const balancer = await startLocalBalancer(inject('haproxyBinary')!, [first, second].map((p) => new URL(p.url).host));
    onTestFinished(() => balancer.stop());

    const load = await BalancedLoad.create(balancer.url, SECRET, TENANTS, '/chaos');
    // librdkafka's mock hands a consumer one produced batch per fetch (a real broker, many): events go in tens.
    load.start(TENANTS, 3, { eventsEvery: 6, eventsPerPost: 10 });
    await sleep(3000);
    const faultsFrom = Date.now();
    process.kill(first.pid, 'SIGKILL');
    const deadServer = cluster.nodes.find((n) => n.shard === 2 && n.replica === 1)!;
    await deadServer.kill();
    await sleep(1000);
    // A consumer dies (its supervisor starts it again) while the other is frozen past its session: the group
    // rebalances without it, and what it does when it wakes holding a batch of partitions it lost must not count.
    consumerB.kill('SIGSTOP');
    consumerA.kill('SIGKILL');
    await once(consumerA, 'exit');
    const restarted = startConsumer(consumerAEnv.COMPANYOS_DATA_DIR, consumerAEnv);
    await sleep(SESSION_TIMEOUT_MS + 3000);
    consumerB.kill('SIGCONT');
    await sleep(4000);
    // Held until the load has done enough to judge: a slow machine writes fewer a second.
    await waitFor(() => load.events.size > 50 && [...load.entities.values()].filter((e) => e.deleted).length > 5, 'fifty events and six deleted entities', 60_000)
      .catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; surprises:\n${load.surprises.join('\n')}`, { cause: error });
      });
    await load.stop();
    await restarted;
    const stoppedAt = Date.now();

    // The API replica's death settles once HAProxy has seen two failed checks (500 ms apart); after that, no 5xx.
    expect(load.failed(faultsFrom + 3000, stoppedAt)).toEqual([]);
    expect(load.failed(0, faultsFrom)).toEqual([]);
    expect(load.events.size).toBeGreaterThan(50);
    expect([...load.entities.values()].filter((e) => e.deleted).length, load.surprises.join('\n')).toBeGreaterThan(5);

    // The dead ClickHouse server returns on its disk and replicates what it took; then every acknowledged event is
    // stored exactly once, once the consumers have caught up.
    await deadServer.restart();
    const warehouse = await openWarehouse({ engine: 'clickhouse', dataDir: scratch.dataDir, clickhouse: { ...scratch.config.clickhouse!, cluster: cluster.name } });
    onTestFinished(() => warehouse.close());
    const storedCounts = async () => new Map((await warehouse.query<{ id: string; n: number }>(
      `SELECT id, toUInt32(count()) AS n FROM events FINAL WHERE source = '/chaos' GROUP BY id`,
    )).map((row) => [row.id, Number(row.n)]));
    let counts = await storedCounts();
    for (const deadline = Date.now() + 150_000; [...load.events.keys()].some((id) => !counts.has(id)) && Date.now() < deadline;) {
      await sleep(1000);
      counts = await storedCounts();
    }
    expect([...load.events.keys()].filter((id) => counts.get(id) !== 1), consumerOutput.map((o) => o.slice(-3000)).join('\n----\n')).toEqual([]);

    // No entity write lost or resurrected: each reads as its last acknowledged write left it.
    expect(await load.lostOrResurrected()).toEqual([]);

    // Each tenant's receipts, appended by both replicas, form one contiguous log whose bundles verify offline
    // with `companyos ledger verify`.
    const client = new pg.Client({ connectionString: state.url });
    await client.connect();
    onTestFinished(() => client.end());
    const keyFiles = (await readdir(join(scratch.dataDir, 'keys'))).filter((f) => f.endsWith('.pub'));
    const keys = (await Promise.all(keyFiles.map((f) => readFile(join(scratch.dataDir, 'keys', f), 'utf8')))).join('\n');
    const keyFile = join(scratch.dataDir, 'verifier-keys.txt');
    await writeFile(keyFile, keys);
    const bundles: string[] = [];
    for (const tenant of TENANTS) {
      const log = await client.query<{ log_index: string; receipt_id: string }>('SELECT log_index, receipt_id FROM ledger_entries WHERE tenant_id = $1 ORDER BY log_index', [tenant]);
      expect(log.rows.length).toBeGreaterThan(20);
      expect(log.rows.map((row) => Number(row.log_index))).toEqual(log.rows.map((_, i) => i));
      // A receipt from the middle of the run: its bundle's checkpoint covers receipts of both replicas.
      const receipt = log.rows[Math.floor(log.rows.length / 2)]!.receipt_id;
      const bundle = await load.call(tenant, 'GET', `/v1/provenance/bundles/${receipt}`);
      expect(bundle.status, bundle.body).toBe(200);
      bundles.push(join(scratch.dataDir, `${receipt}.bundle.json`));
      await writeFile(bundles.at(-1)!, bundle.body);
    }
    for (const verified of await Promise.all(bundles.map((path) => runCli(['ledger', 'verify', path, '--key', keyFile], { dataDir: scratch.dataDir })))) {
      expect([verified.code, verified.stderr], verified.stdout).toEqual([0, '']);
    }

    // Every decision a committed receipt of a gated call cites is in the decision log: those the killed replica had
    // queued are restored by the live one once the dead one's queue mark is a minute old.
    const gated = new Set<string>(ACTIONS);
    const cited = (await client.query<{ entry: string }>('SELECT entry FROM ledger_entries')).rows
      .map((row) => (JSON.parse(Buffer.from((JSON.parse(row.entry) as { payload: string }).payload, 'base64').toString('utf8')) as { predicate: { action: string; decisionId: string } }).predicate)
      .filter((predicate) => gated.has(predicate.action))
      .map((predicate) => predicate.decisionId);
    expect(cited.length).toBeGreaterThan(50);
    const unlogged = async () => {
      const logged = new Set<string>();
      for (let at = 0; at < cited.length; at += 2_000) {
        const chunk = cited.slice(at, at + 2_000);
        const rows = await warehouse.query<{ decision_id: string }>(`SELECT decision_id FROM policy_decisions WHERE decision_id IN (${chunk.map(() => '?').join(', ')})`, chunk);
        for (const row of rows) logged.add(row.decision_id);
      }
      return cited.filter((id) => !logged.has(id));
    };
    let missing = await unlogged();
    for (const deadline = faultsFrom + 120_000; missing.length > 0 && Date.now() < deadline;) {
      await sleep(2000);
      missing = await unlogged();
    }
    expect(missing).toEqual([]);
    await second.stop('SIGTERM');
  }, 400_000);
});
