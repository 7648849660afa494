import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import { scratchWarehouse, type ScratchWarehouse } from '../dev/index.ts';
import { rootFromLeafHashes } from '../kernel/ledger/index.ts';
import { STATE_FILE } from '../kernel/state/index.ts';
import { DuckDBWarehouse, openWarehouse, type Warehouse } from '../kernel/warehouse/index.ts';
import { S3Target } from '../platform/backup/index.ts';
import { OBJECT_STORE_CREDENTIALS, startObjectStore } from './support/object-store.ts';
import { killAllCliProcesses, runCli, startPlatform, TempDirs } from './support/cli.ts';
import { TEST_ENGINES, engineUnavailable } from './support/engines.ts';
import { waitFor } from './support/wait-for.ts';

/** The RPO the issue asks for: what a kill may lose. */
const RPO_MS = 5000;

afterEach(async () => {
  await killAllCliProcesses();
});

interface Acked {
  at: number;
  tenant: string;
  kind: 'event' | 'entity';
  id: string;
}

/** Each tenant's leaf hashes in log order. */
async function leaves(database: Warehouse): Promise<Map<string, Buffer[]>> {
  const byTenant = new Map<string, Buffer[]>();
  for (const row of await database.query<{ tenant_id: string; leaf_hash: string }>('SELECT tenant_id, leaf_hash FROM ledger_entries ORDER BY tenant_id, log_index')) {
    if (!byTenant.has(row.tenant_id)) byTenant.set(row.tenant_id, []);
    byTenant.get(row.tenant_id)!.push(Buffer.from(row.leaf_hash, 'hex'));
  }
  return byTenant;
}

const BILL_ROWS = 3000;

/** A FOCUS bill of `rows` usage rows, one an hour. */
function drBill(rows: number): string {
  const lines = ['BillingAccountId,InvoiceId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,ResourceId,ServiceName,ProviderName,Tags'];
  const hour = (i: number) => new Date(Date.UTC(2026, 10, 1) + i * 3_600_000).toISOString().replace('.000Z', 'Z');
  for (let i = 0; i < rows; i++) {
    lines.push(`dr-acct,INV-DR,USD,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,${hour(i % 720)},${hour((i % 720) + 1)},Usage,${(i % 100) / 10 + 0.25},${(i % 100) / 10 + 0.25},vm-${i},Compute,DrCloud,"{""Tenant"": ""acme""}"`);
  }
  return `${lines.join('\n')}\n`;
}

describe.each(TEST_ENGINES)('disaster recovery: continuous backup to an object store survives kill -9 (%s)', (engine) => {
  const dirs = new TempDirs();
  const scratches: ScratchWarehouse[] = [];
  afterAll(async () => {
    for (const scratch of scratches) await scratch.dispose();
    await dirs.removeAll();
  });
  /** A new data folder, and on ClickHouse a new database without tables: where the platform runs, or a restore goes. */
  const scratch = async () => {
    const made = await scratchWarehouse(engine, inject('clickhouseUrl'));
    scratches.push(made);
    return made;
  };
  /** Where the state (entities, the ledger) is in a data folder: the embedded database, or state.duckdb beside ClickHouse. */
  const stateFile = engine === 'clickhouse' ? STATE_FILE : 'warehouse.duckdb';

  it('loses only what was acknowledged in the last 5 s, every ledger root matches, and one flipped byte is refused by name', { timeout: 360_000 }, async (context) => {
    const unavailable = engineUnavailable(engine);
    if (unavailable) context.skip(unavailable);
    const source = await scratch();
    const dataDir = source.dataDir;
    const store = await startObjectStore();
    onTestFinished(() => store.close());
    const backups = `s3://${store.bucket}/companyos`;
    const platform = await startPlatform(dataDir, ['--no-seed'], { env: { ...source.env, COMPANYOS_BACKUP_SHIPPING: 'on', COMPANYOS_BACKUP_DIR: backups, ...store.env }, timeoutMs: 90_000 });
    const tenants = ['acme', 'globex'];
    const tokens = Object.fromEntries(await Promise.all(tenants.map(async (tenant) => {
      const minted = await runCli(['token', '--tenant', tenant, '--role', 'operator', '--role', 'writer'], { dataDir, env: source.env });
      return [tenant, minted.stdout.trim()] as const;
    })));
    const call = async (tenant: string, path: string, body: unknown) => fetch(`${platform.url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[tenant]}` }, body: JSON.stringify(body),
    });

    // Writers in both tenants — events and receipted entity creations — until the kill at a random moment.
    const acked: Acked[] = [];
    let killed = false;
    let writerFailed: unknown;
    const writer = async (tenant: string) => {
      for (let i = 0; !killed; i++) {
        try {
          const id = `${tenant}-evt-${i}`;
          const events = await call(tenant, '/v1/events', [{ specversion: '1.0', id, source: '/dr-test', type: 'usage.recorded', time: new Date().toISOString(), tenantid: tenant, policyversion: 'v1', data: { units: i } }]);
          const answer = (await events.json()) as { accepted?: number; rejected?: unknown[] };
          expect(events.status, JSON.stringify(answer)).toBe(202);
          expect(answer.rejected, JSON.stringify(answer)).toEqual([]);
          acked.push({ at: Date.now(), tenant, kind: 'event', id });
          const entity = await call(tenant, '/v1/entities', { type: 'Asset', name: `dr ${tenant} #${i}` });
          if (entity.status === 201) acked.push({ at: Date.now(), tenant, kind: 'entity', id: String(((await entity.json()) as { id: string }).id) });
        } catch (error) {
          if (killed) return; // the platform is gone
          writerFailed = error;
          throw error;
        }
      }
    };
    const writers = tenants.map(writer);
    // Over 5 s after the base snapshot: the snapshot alone would miss the RPO, only the shipped changes meet it.
    await sleep(6000 + Math.floor(Math.random() * 4000));
    // A bill imported meanwhile: its rows travel as a loaded file (Parquet on DuckDB), shipped beside the segments.
    const operator = (await runCli(['token', '--tenant', 'summit-internal', '--role', 'operator'], { dataDir, env: source.env })).stdout.trim();
    const uploaded = await fetch(`${platform.url}/v1/finops/bills?file_name=dr-bill.csv`, {
      method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${operator}` }, body: drBill(BILL_ROWS),
    });
    const bill = (await uploaded.json()) as { batch_id: string; rows_loaded: number };
    expect(uploaded.status, JSON.stringify(bill)).toBe(200);
    expect(bill.rows_loaded).toBe(BILL_ROWS);
    const billAckedAt = Date.now();
    // And until enough is acknowledged for the checks below to mean something, however slow the machine: writes
    // acknowledged over the RPO before the kill must all come back.
    const settled = (tenant: string) => acked.filter((a) => a.tenant === tenant && a.kind === 'entity' && a.at < Date.now() - RPO_MS).length;
    await waitFor(() => {
      if (writerFailed) throw writerFailed as Error;
      return tenants.every((tenant) => settled(tenant) > 10) && acked.filter((a) => a.kind === 'event').length > 20 && billAckedAt < Date.now() - RPO_MS;
    }, 'eleven entities a tenant and the bill acknowledged over the RPO ago', 120_000);
    // What an operator watches: how far shipping is behind (under the RPO) and the base's age.
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(Number(/^companyos_backup_unshipped_age_seconds (\S+)$/m.exec(metrics)?.[1])).toBeLessThan(5);
    expect(Number(/^companyos_backup_base_age_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(5);
    process.kill(platform.pid, 'SIGKILL');
    const killedAt = Date.now();
    killed = true;
    await Promise.all(writers);
    await platform.stop();
    expect(acked.filter((a) => a.kind === 'entity').length).toBeGreaterThan(20);
    expect(acked.filter((a) => a.kind === 'event').length).toBeGreaterThan(20);

    const key = join(dataDir, 'keys', (await readdir(join(dataDir, 'keys'))).find((name) => name.endsWith('.pub'))!);
    const restoredDir = join(await dirs.make(), 'restored');
    const into = await scratch();
    const restore = await runCli(['restore', '--from', backups, '--key', key, '--data-dir', restoredDir], { dataDir, env: { ...into.env, ...store.env }, timeoutMs: 120_000 });
    expect(restore.code, `${restore.stdout}\n${restore.stderr}`).toBe(0);
    expect(Number(/(\d+) changes of (\d+) segments replayed/.exec(restore.stdout)?.[1])).toBeGreaterThan(50);
    // The models are rebuilt from the restored data, inside the RTO (the shipped changes hold none).
    expect(Number(/(\d+) models rebuilt from the restored data/.exec(restore.stdout)?.[1])).toBeGreaterThan(10);
    const through = Date.parse(/writes through (\S+) recovered/.exec(restore.stdout)![1]!);
    const rto = Number(/RTO (\d+\.\d) s/.exec(restore.stdout)![1]);
    console.log(`DR (${engine}): killed at ${new Date(killedAt).toISOString()}, restored through ${new Date(through).toISOString()}: RPO ${((killedAt - through) / 1000).toFixed(1)} s, RTO ${rto} s`);
    expect(killedAt - through).toBeLessThanOrEqual(RPO_MS);
    expect(rto).toBeLessThan(300);

    const restored = await DuckDBWarehouse.open(join(restoredDir, stateFile));
    const original = await DuckDBWarehouse.open(join(dataDir, stateFile));
    const restoredWarehouse = engine === 'clickhouse' ? await openWarehouse(into.config) : restored;
    try {
      // Every write acknowledged more than 5 s before the kill is in the restored database.
      const events = new Set((await restoredWarehouse.query<{ k: string }>("SELECT concat(tenant_id, '/', id) AS k FROM events")).map((r) => r.k));
      const entities = new Set((await restored.query<{ k: string }>("SELECT tenant_id || '/' || entity_id AS k FROM entities")).map((r) => r.k));
      const lost = acked.filter((a) => a.at < killedAt - RPO_MS && !(a.kind === 'event' ? events : entities).has(`${a.tenant}/${a.id}`));
      expect(lost.slice(0, 5).map((l) => `${l.kind} ${l.tenant}/${l.id} ${new Date(l.at).toISOString()}`)).toEqual([]);
      const [billBack] = await restoredWarehouse.query<{ n: number; lines: number }>(
        "SELECT count(*) AS n, count(DISTINCT line) AS lines FROM bill_rows WHERE tenant_id = 'summit-internal' AND batch_id = ?", [bill.batch_id],
      );
      expect([Number(billBack!.n), Number(billBack!.lines)]).toEqual([BILL_ROWS, BILL_ROWS]);
      const [rebuilt] = await restoredWarehouse.query<{ n: number }>("SELECT count(*) AS n FROM build_runs WHERE trigger = 'restore' AND status = 'success'");
      expect(Number(rebuilt!.n)).toBe(2);
      // Each tenant's restored log is a prefix of the log the killed platform left, root for root.
      const [back, live] = [await leaves(restored), await leaves(original)];
      for (const tenant of tenants) {
        const restoredLeaves = back.get(tenant)!;
        expect(restoredLeaves.length).toBeGreaterThan(10);
        const liveLeaves = live.get(tenant)!.slice(0, restoredLeaves.length);
        expect(rootFromLeafHashes(restoredLeaves).toString('hex')).toBe(rootFromLeafHashes(liveLeaves).toString('hex'));
      }
      // The base backup's manifest is receipted in the operator's ledger: the receipt names the SHA-256 of the manifest object on the store.
      const backupId = /^restored (\S+) /m.exec(restore.stdout)![1]!;
      const [receipt] = await restored.query<{ entry: string }>("SELECT entry FROM ledger_entries WHERE tenant_id = 'summit-internal' AND receipt_id = ?", [`backup-${backupId}`]);
      const statement = JSON.parse(Buffer.from((JSON.parse(receipt!.entry) as { payload: string }).payload, 'base64').toString('utf8')) as { subject: { name: string; digest: { sha256: string } }[]; predicate: { action: string } };
      expect(statement.predicate.action).toBe('backup.base_stored');
      const manifestCopy = join(await dirs.make(), 'manifest');
      const store_ = new S3Target({ bucket: store.bucket, prefix: 'companyos' }, { endpoint: store.endpoint, credentials: OBJECT_STORE_CREDENTIALS });
      await store_.get(`backups/${backupId}/manifest.dsse.json`, manifestCopy);
      // On DuckDB the bill's rows were shipped as the import's Parquet file, not as CSV text.
      const loadedFiles = (await store_.list('backups')).filter((name) => /\/changes\/blob-/.test(name));
      store_.close();
      if (engine === 'duckdb') expect(loadedFiles.some((name) => name.endsWith('.parquet')), loadedFiles.join(', ')).toBe(true);
      expect(statement.subject[0]).toEqual({ name: `backup/${backupId}`, digest: { sha256: createHash('sha256').update(await readFile(manifestCopy)).digest('hex') } });
    } finally {
      if (restoredWarehouse !== restored) await restoredWarehouse.close();
      await restored.close();
      await original.close();
    }

    // One flipped byte in one shipped object on the store: the restore names it and leaves nothing.
    const target = new S3Target({ bucket: store.bucket, prefix: 'companyos' }, { endpoint: store.endpoint, credentials: OBJECT_STORE_CREDENTIALS });
    const segments = (await target.list('backups')).filter((name) => name.endsWith('.dsse.json') && name.includes('/changes/'));
    const victim = segments[Math.floor(segments.length / 2)]!;
    const local = join(await dirs.make(), 'segment');
    await target.get(victim, local);
    const bytes = await readFile(local);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(local, bytes);
    await target.put(victim, local);
    target.close();
    const elsewhere = join(await dirs.make(), 'restored');
    const refused = await runCli(['restore', '--from', backups, '--key', key, '--data-dir', elsewhere], { dataDir, env: { ...(await scratch()).env, ...store.env }, timeoutMs: 120_000 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(victim);
    expect(await readdir(elsewhere)).toEqual([]);
  });
});
