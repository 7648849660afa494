import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import { openStateStore, type DuckDBStateStore, type StateStore } from '../../kernel/state/index.ts';
import type { ClickHouseWarehouse, DuckDBWarehouse } from '../../kernel/warehouse/index.ts';
import { BackupShipping, DirectoryTarget, captureChanges, clickhouseBackupSource, duckdbBackupSource, type BackupServices } from '../../platform/backup/index.ts';
import { LedgerStore } from '../../platform/governance/index.ts';
import { WorkflowEngine } from '../../platform/workflows/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { useWarehouse, type WarehouseFixture } from '../../test/support/engines.ts';
import { drDrill, type DrillOutcome } from './dr-drill.ts';
import { suppliedTypes } from './supplied-executors.ts';
import { MODEL_GENERATORS } from '../index.ts';
import { rebuildModels } from '../../platform/transforms/index.ts';

/** Per test: a scratch folder, the state store on the engine's warehouse and a ledger on it. */
function useDrillFixture(db: WarehouseFixture) {
  const fixture = { keyring: Keyring.inMemory(LEDGER_KEY_NAME), dir: '', state: undefined as unknown as StateStore, ledger: undefined as unknown as LedgerStore };
  beforeEach(async () => {
    fixture.dir = await mkdtemp(join(tmpdir(), 'drill-'));
    fixture.state = await openStateStore(db.warehouse, { dataDir: db.harness.dataDir, tables: platformTables() });
    fixture.ledger = new LedgerStore(fixture.state, fixture.keyring);
  });
  afterEach(async () => {
    await fixture.ledger.close();
    await fixture.state.close();
    await rm(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}

const DRILL = { category: 'drill', text: 'quarterly restore drill of the production backup' };

describe('the DR drill: back up the running platform, restore into scratch, validate, destroy, report', () => {
  const db = useWarehouse('duckdb');
  const fx = useDrillFixture(db);
  const backups = (source: BackupServices['source']): BackupServices => ({
    target: new DirectoryTarget(join(fx.dir, 'target')), source, signingKey: () => fx.keyring.active, verifierKeys: fx.keyring, tables: platformTables(), scratchDir: join(fx.dir, 'scratch'),
  });
  const engineWith = (services: BackupServices) => new WorkflowEngine({ state: fx.state, ledger: fx.ledger, platformTenant: 'summit-internal', types: suppliedTypes({ drDrill: drDrill(services) }) });

  it('runs approved, restores what it backed up with every ledger root checked and the models rebuilt, and leaves a signed backup and no scratch behind', async () => {
    const engine = engineWith({
      ...backups(duckdbBackupSource(db.warehouse as DuckDBWarehouse)),
      rebuild: (restored, dataDir) => rebuildModels(restored, { modelsDir: 'models', generators: MODEL_GENERATORS, tenant: 'summit-internal', dataDir }),
    });
    const run = await engine.request({ tenant: 'summit-internal', type: 'dr-drill', requestedBy: 'summit-internal/ops', rationale: DRILL, params: {} });
    expect(run.status).toBe('awaiting-approval');
    expect(run.steps.find((s) => s.step === 'preflight' && s.phase === 'completed')!.output).toMatchObject({ result: { completeBackups: 0, latest: null, rtoTargetSeconds: 300 } });
    await engine.decide({ tenant: 'summit-internal', runId: run.runId, approver: 'summit-internal/sec', roles: ['approver'], decision: 'approve', rationale: DRILL });
    const done = await engine.execute('summit-internal', run.runId, 'summit-internal/sre');
    expect(done.status).toBe('succeeded');
    const { result: outcome, transcript } = done.steps.find((s) => s.step === 'execute' && s.phase === 'completed')!.output as { result: DrillOutcome; transcript: string[] };
    expect(transcript.at(-1)).toMatch(/ drill: RTO \d+\.\d s \(target 300 s\), RPO /);
    expect(transcript.join('\n')).toMatch(/\d+ models rebuilt from the restored data/);
    expect(outcome).toMatchObject({ rtoTargetSeconds: 300, rtoMet: true, scratchDestroyed: true });
    // The run's own receipts (requested, awaiting approval, approved, executing) were in the log when the snapshot was read.
    expect(outcome.ledgers['summit-internal']!.size).toBeGreaterThanOrEqual(3);
    const live = await fx.ledger.checkpoint('summit-internal', outcome.ledgers['summit-internal']!.size);
    expect(live.rootHash.toString('hex')).toBe(outcome.ledgers['summit-internal']!.rootHash);
    expect(outcome.objects.find((o) => o.name === 'ledger_entries.parquet')!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await readdir(join(fx.dir, 'scratch')).catch(() => [])).toEqual([]);
    expect(await readdir(join(fx.dir, 'target', 'backups', outcome.backupId))).toContain('manifest.dsse.json');
  });

  it('with continuous backup running, restores what was shipped (not a backup of its own) and reports the writes a disaster then would lose', async () => {
    const captured = await captureChanges(db.warehouse, { tables: platformTables(), spoolDir: join(fx.dir, 'spool') });
    const shippedLedger = new LedgerStore(captured.state, fx.keyring);
    const services = { ...backups(duckdbBackupSource(db.warehouse as DuckDBWarehouse)) };
    const shipping = new BackupShipping({ target: services.target, log: captured.log, snapshot: () => captured.source.begin(), key: () => fx.keyring.active, spoolDir: join(fx.dir, 'spool'), logger: { info: () => undefined, warn: () => undefined, error: () => undefined }, everyMs: 60_000 });
    onTestFinished(async () => {
      await shipping.stop();
      await shippedLedger.close();
      await captured.state.close();
    });
    const base = await shipping.start();
    const engine = new WorkflowEngine({ state: captured.state, ledger: shippedLedger, platformTenant: 'summit-internal', types: suppliedTypes({ drDrill: drDrill({ ...services, continuous: () => shipping.status }) }) });
    const run = await engine.request({ tenant: 'summit-internal', type: 'dr-drill', requestedBy: 'summit-internal/ops', rationale: DRILL, params: {} });
    await engine.decide({ tenant: 'summit-internal', runId: run.runId, approver: 'summit-internal/sec', roles: ['approver'], decision: 'approve', rationale: DRILL });
    // The request and approval are shipped; what the engine writes next (executing) is not, until the next shipment.
    await shipping.shipNow();
    const done = await engine.execute('summit-internal', run.runId, 'summit-internal/sre');
    expect(done.status).toBe('succeeded');
    const { result: outcome } = done.steps.find((s) => s.step === 'execute' && s.phase === 'completed')!.output as { result: DrillOutcome };
    expect(outcome).toMatchObject({ mode: 'continuous', backupId: base.backupId, backupSeconds: 0, rtoMet: true, scratchDestroyed: true });
    expect(outcome.changesReplayed).toBeGreaterThan(0);
    // The "executing" transition was acknowledged after the last shipment: a disaster then would have lost it, and the drill says so.
    expect(outcome.rpoSeconds).toBeGreaterThan(0);
    expect(outcome.rpoSeconds).toBeLessThan(5);
    expect((await services.target.list('backups')).filter((name) => name.endsWith('manifest.dsse.json'))).toEqual([`backups/${base.backupId}/manifest.dsse.json`]);
  });

  it('fails at preflight, saying why, when the stores cannot be backed up', async () => {
    const run = await engineWith(backups(undefined)).request({ tenant: 'summit-internal', type: 'dr-drill', requestedBy: 'summit-internal/ops', rationale: DRILL, params: {} });
    expect(run.status).toBe('preflight-failed');
    expect(run.transitions.at(-1)!.detail.error).toMatch(/stores cannot be backed up/);
  });
});

describe('the DR drill on ClickHouse: the warehouse restored into a scratch database on the same server, dropped after', () => {
  const db = useWarehouse('clickhouse');
  const fx = useDrillFixture(db);

  it('backs up (FREEZE and the state), restores every table with its rows and each ledger root, and leaves no scratch database or folder', async () => {
    const warehouse = db.warehouse as ClickHouseWarehouse;
    await warehouse.execute(`INSERT INTO events (tenant_id, source, id, type, time, policy_version, data, channel, ingested_at)
      SELECT 'acme', '/drill', toString(number), 'usage.recorded', now(), 'v1', '{}', 'http', now() FROM system.numbers LIMIT 300`);
    const services: BackupServices = {
      target: new DirectoryTarget(join(fx.dir, 'target')), source: clickhouseBackupSource(warehouse, fx.state as DuckDBStateStore), signingKey: () => fx.keyring.active,
      verifierKeys: fx.keyring, tables: platformTables(), scratchDir: join(fx.dir, 'scratch'),
    };
    const engine = new WorkflowEngine({ state: fx.state, ledger: fx.ledger, platformTenant: 'summit-internal', types: suppliedTypes({ drDrill: drDrill(services) }) });
    const run = await engine.request({ tenant: 'summit-internal', type: 'dr-drill', requestedBy: 'summit-internal/ops', rationale: DRILL, params: {} });
    expect(run.status).toBe('awaiting-approval');
    await engine.decide({ tenant: 'summit-internal', runId: run.runId, approver: 'summit-internal/sec', roles: ['approver'], decision: 'approve', rationale: DRILL });
    const done = await engine.execute('summit-internal', run.runId, 'summit-internal/sre');
    expect(done.status).toBe('succeeded');
    const { result: outcome } = done.steps.find((s) => s.step === 'execute' && s.phase === 'completed')!.output as { result: DrillOutcome };
    expect(outcome).toMatchObject({ mode: 'snapshot', rtoMet: true, scratchDestroyed: true });
    expect(outcome.rows).toBeGreaterThanOrEqual(300);
    expect(outcome.objects.some((o) => o.name.startsWith('clickhouse/events/'))).toBe(true);
    expect(outcome.ledgers['summit-internal']!.size).toBeGreaterThanOrEqual(3);
    const scratchDatabase = `${warehouse.database}_drill_${run.runId.replace(/[^A-Za-z0-9_]/g, '_')}`;
    expect(await warehouse.query('SELECT name FROM system.databases WHERE name = ?', [scratchDatabase])).toEqual([]);
    expect(await readdir(join(fx.dir, 'scratch')).catch(() => [])).toEqual([]);
  });
});
