import { cp, mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { scratchWarehouse, startLocalBalancer } from '../dev/index.ts';
import { openWarehouse } from '../kernel/warehouse/index.ts';
import { BalancedLoad } from './support/balanced-load.ts';
import { killAllCliProcesses, startPlatform } from './support/cli.ts';
import { freshPostgresDatabase } from './support/postgres.ts';
import { waitFor } from './support/wait-for.ts';

const SECRET = 'scale-out-secret-scale-out-secret-0123456789';
const TENANTS = ['acme', 'globex'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The scale-out profile's request path: two `companyos start` replicas sharing PostgreSQL (state, the
 * ledger's sequencing) and a ClickHouse server (events), behind HAProxy running deploy/scale-out/haproxy.cfg.
 * The same under every fault at once, on a ClickHouse cluster and through Kafka: chaos.e2e.test.ts.
 */
describe.runIf(inject('clickhouseUrl') && inject('postgresUrl') && inject('haproxyBinary'))('scale-out: two API replicas behind HAProxy', () => {
  it('loses no acknowledged write when a replica is SIGKILLed under load, answers no 5xx once the balancer has taken it out, and refuses hostile bodies with the platform\'s 4xx', async () => {
    onTestFinished(killAllCliProcesses);
    const scratch = await scratchWarehouse('clickhouse', inject('clickhouseUrl'));
    onTestFinished(() => scratch.dispose());
    const state = await freshPostgresDatabase(inject('postgresUrl')!);
    onTestFinished(() => state.drop());
    const env = { ...scratch.env, COMPANYOS_STATE_URL: state.url, COMPANYOS_JWT_SECRET: SECRET };
    const first = await startPlatform(scratch.dataDir, ['--no-seed'], { env, timeoutMs: 90_000 });
    // Replicas sign receipts with the same keys (in production a shared secret volume).
    const secondDir = await mkdtemp(join(tmpdir(), 'companyos-replica-'));
    onTestFinished(() => rm(secondDir, { recursive: true, force: true }));
    await cp(join(scratch.dataDir, 'keys'), join(secondDir, 'keys'), { recursive: true });
    const second = await startPlatform(secondDir, ['--no-seed'], { env: { ...env, COMPANYOS_DATA_DIR: secondDir }, timeoutMs: 90_000 });
    const balancer = await startLocalBalancer(inject('haproxyBinary')!, [first, second].map((p) => new URL(p.url).host));
    onTestFinished(() => balancer.stop());

    const load = await BalancedLoad.create(balancer.url, SECRET, TENANTS, '/scale-out');
    load.start(TENANTS, 3);
    // Timed phases, each held until it has done enough work to judge: a slow machine writes fewer entities a second.
    const written = () => [...load.entities.values()].filter((e) => !e.uncertain).length;
    await sleep(3000);
    await waitFor(() => written() > 10, 'eleven entities written before the kill', 60_000);
    const before = written();
    process.kill(first.pid, 'SIGKILL');
    const killedAt = Date.now();
    await sleep(6000);
    await waitFor(() => written() - before > 10, 'eleven entities written after the kill', 60_000);
    await load.stop();
    const tokens = { acme: load.token('acme') };

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
    expect(load.failed(killedAt + 3000)).toEqual([]);
    expect(load.failed(0, killedAt)).toEqual([]);
    expect(before).toBeGreaterThan(10);
    expect(written() - before).toBeGreaterThan(10);

    // Every acknowledged event is stored once; every entity reads as its last acknowledged write left it.
    const warehouse = await openWarehouse(scratch.config);
    onTestFinished(() => warehouse.close());
    const counts = new Map((await warehouse.query<{ id: string; n: number }>(
      `SELECT id, toUInt32(count()) AS n FROM events FINAL WHERE source = '/scale-out' GROUP BY id`,
    )).map((row) => [row.id, Number(row.n)]));
    expect([...load.events.keys()].filter((id) => counts.get(id) !== 1)).toEqual([]);
    expect(await load.lostOrResurrected()).toEqual([]);

    // Each tenant's receipt log, appended by both replicas, is one contiguous sequence.
    const client = new pg.Client({ connectionString: state.url });
    await client.connect();
    try {
      const logs = await client.query<{ tenant_id: string; n: string; first: string; last: string }>(
        'SELECT tenant_id, count(*) AS n, min(log_index) AS first, max(log_index) AS last FROM ledger_entries GROUP BY tenant_id',
      );
      for (const tenant of TENANTS) {
        const log = logs.rows.find((row) => row.tenant_id === tenant)!;
        expect(Number(log.n)).toBeGreaterThanOrEqual([...load.entities.values()].filter((e) => e.tenant === tenant && !e.uncertain).length);
        expect([Number(log.first), Number(log.last)]).toEqual([0, Number(log.n) - 1]);
      }
    } finally {
      await client.end();
    }
    await second.stop('SIGTERM');
  }, 360_000);
});
