import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness, engineUnavailable, useWarehouse } from '../../test/support/engines.ts';
import { DuckDBStateStore } from './duckdb-state-store.ts';
import { openStateStore } from './open-state-store.ts';
import { ensureStateSchema } from './state-schema.ts';
import { stateStoreContract } from './state-store-contract.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { DUCKDB_STORAGE_VERSION } from '../warehouse/index.ts';

stateStoreContract('DuckDB, a file of its own', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'companyos-state-'));
  const store = await DuckDBStateStore.open(join(dir, 'state.duckdb'), platformTables());
  await ensureStateSchema(store);
  return { store, dispose: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
});

stateStoreContract('DuckDB, sharing the warehouse database', async () => {
  const harness = await engineHarness('duckdb');
  const warehouse = await harness.open();
  const store = await openStateStore(warehouse, { tables: platformTables() });
  return { store, dispose: async () => { await store.close(); await warehouse.close(); await harness.cleanup(); } };
});

describe('the DuckDB state store in the warehouse database', () => {
  const db = useWarehouse('duckdb');

  it('adds the unique keys the warehouse migrations did not give the tables, and shares rows with warehouse reads', async () => {
    const row = ['acme', 'r-1', 'e-1', 'delete', 'ana', new Date(), 'd-1'];
    // Before the state store, a duplicate went in unnoticed.
    await db.warehouse.insert('approval_requests', ['tenant_id', 'request_id', 'entity_id', 'action', 'requested_by', 'requested_at', 'decision_id'], [row]);
    const state = await openStateStore(db.warehouse, { tables: platformTables() });
    try {
      const again = state.transaction((tx) => tx.insert('approval_requests', [{
        tenant_id: 'acme', request_id: 'r-1', entity_id: 'e-1', action: 'delete', requested_by: 'bo', requested_at: new Date(), decision_id: 'd-2',
      }]));
      await expect(again).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
      await state.transaction((tx) => tx.insert('approval_requests', [{
        tenant_id: 'acme', request_id: 'r-2', entity_id: 'e-1', action: 'delete', requested_by: 'bo', requested_at: new Date(), decision_id: 'd-2',
      }]));
      expect(await db.warehouse.query('SELECT request_id FROM approval_requests ORDER BY request_id')).toEqual([{ request_id: 'r-1' }, { request_id: 'r-2' }]);
    } finally {
      await state.close();
    }
  });
});

describe('the DuckDB state store on its own file', () => {
  it(`is created in DuckDB's ${DUCKDB_STORAGE_VERSION} storage format, as the warehouse is`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-state-format-'));
    const shell = process.env.COMPANYOS_DUCKDB_STORAGE_VERSION;
    delete process.env.COMPANYOS_DUCKDB_STORAGE_VERSION;
    const store = await DuckDBStateStore.open(join(dir, 'state.duckdb'), platformTables()).finally(() => {
      if (shell !== undefined) process.env.COMPANYOS_DUCKDB_STORAGE_VERSION = shell;
    });
    try {
      const [row] = await store.query<{ tags: string }>('SELECT tags FROM duckdb_databases() WHERE database_name = current_database()');
      expect(String(row?.tags)).toContain(`'storage_version': '${DUCKDB_STORAGE_VERSION}+'`);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps every transaction it acknowledged when its process is SIGKILLed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-state-kill-'));
    try {
      const path = join(dir, 'state.duckdb');
      const ids = Array.from({ length: 20 }, (_, i) => `r-${i}`);
      const child = spawn(process.execPath, ['--import', 'tsx', 'kernel/state/testdata/commit-then-hang.ts', path, ...ids], { stdio: ['ignore', 'pipe', 'inherit'] });
      const acknowledged: string[] = [];
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          acknowledged.push(...chunk.toString().split('\n').filter(Boolean));
          if (acknowledged.length === ids.length) resolve();
        });
        child.on('exit', (code) => reject(new Error(`the writer exited (${code}) after ${acknowledged.length} commits`)));
      });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const reopened = await DuckDBStateStore.open(path, platformTables());
      try {
        const rows = await reopened.query<{ request_id: string }>('SELECT request_id FROM approval_requests');
        expect(rows.map((r) => r.request_id).sort()).toEqual([...ids].sort());
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the state store beside a ClickHouse warehouse', () => {
  it.skipIf(engineUnavailable('clickhouse') !== null)('copies the operational rows the warehouse held before, once, into state.duckdb', async () => {
    const harness = await engineHarness('clickhouse');
    const warehouse = await harness.open();
    try {
      const columns = ['tenant_id', 'request_id', 'entity_id', 'action', 'requested_by', 'requested_at', 'decision_id'];
      const at = new Date('2026-11-01T00:00:00.000Z');
      // A retried write left one request twice: it is one row of state.
      await warehouse.insert('approval_requests', columns, [['acme', 'r-1', 'e-1', 'delete', 'ana', at, 'd-1'], ['acme', 'r-1', 'e-1', 'delete', 'ana', at, 'd-1'], ['globex', 'r-9', 'e-9', 'delete', 'bo', at, 'd-9']]);
      const first = await openStateStore(warehouse, { dataDir: harness.dataDir, tables: platformTables() });
      expect(first.location).toBe(join(harness.dataDir, 'state.duckdb'));
      expect(await first.query('SELECT tenant_id, request_id FROM approval_requests ORDER BY tenant_id')).toEqual([
        { tenant_id: 'acme', request_id: 'r-1' }, { tenant_id: 'globex', request_id: 'r-9' },
      ]);
      await first.close();
      await warehouse.insert('approval_requests', columns, [['acme', 'r-2', 'e-1', 'delete', 'ana', at, 'd-2']]);
      const second = await openStateStore(warehouse, { dataDir: harness.dataDir, tables: platformTables() });
      // The store already holds state: the warehouse's rows are not copied again.
      expect(await second.query('SELECT count(*) AS n FROM approval_requests')).toEqual([{ n: 2 }]);
      await second.close();
    } finally {
      await warehouse.close();
      await harness.cleanup();
    }
  });
});

describe('the state schema', () => {
  it('refuses to go on when a state table\'s columns differ from its declaration, naming the table and both lists', async () => {
    const store = await DuckDBStateStore.open(':memory:', platformTables());
    try {
      await store.transaction((tx) => tx.query('CREATE TABLE revops_lead_touches (tenant_id VARCHAR, lead_id VARCHAR, touched_at TIMESTAMP)'));
      await expect(ensureStateSchema(store)).rejects.toThrow(/revops_lead_touches has columns \(tenant_id, lead_id, touched_at\), not the declared \(tenant_id, lead_id, touched_at, touched_by, channel\): it needs a migration/);
      // Nothing of the attempt stays: the other tables were not created either.
      expect(await store.query("SELECT table_name FROM information_schema.tables WHERE table_name = 'workflow_runs'")).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
