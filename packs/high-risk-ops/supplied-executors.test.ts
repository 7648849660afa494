import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import { DuckDBStateStore, ensureStateSchema } from '../../kernel/state/index.ts';
import { TABLES } from '../../kernel/warehouse/index.ts';
import { LedgerStore } from '../../platform/governance/index.ts';
import { WORKFLOW_TABLES, WorkflowEngine } from '../../platform/workflows/index.ts';
import { suppliedTypes, type SuppliedExecutor } from './supplied-executors.ts';

const DRILL = { category: 'drill', text: 'quarterly restore drill of the production backup' };

describe('the DR drill: a type whose executor another module supplies', () => {
  let dir: string;
  let state: DuckDBStateStore;
  let ledger: LedgerStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'supplied-'));
    state = await DuckDBStateStore.open(join(dir, 'state.duckdb'), [...TABLES, ...WORKFLOW_TABLES]);
    await ensureStateSchema(state);
    ledger = new LedgerStore(state, Keyring.inMemory(LEDGER_KEY_NAME));
  });
  afterEach(async () => {
    await ledger.close();
    await state.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a run at preflight while no executor is supplied', async () => {
    const engine = new WorkflowEngine({ state, ledger, platformTenant: 'summit-internal', types: suppliedTypes({}) });
    const run = await engine.request({ tenant: 'summit-internal', type: 'dr-drill', requestedBy: 'summit-internal/ops', rationale: DRILL, params: {} });
    expect(run.status).toBe('preflight-failed');
    expect(run.transitions.at(-1)!.detail.error).toMatch(/no dr-drill executor/);
    await expect(engine.request({ tenant: 'acme', type: 'dr-drill', requestedBy: 'acme/ops', rationale: DRILL, params: {} })).rejects.toMatchObject({ code: 'WORKFLOW_PLATFORM_ONLY' });
  });

  it('runs a supplied executor through its approval, its steps in order, once', async () => {
    const calls: string[] = [];
    const drill: SuppliedExecutor<unknown> = {
      parseParams: (input) => input,
      preflight: async (context) => (calls.push(`preflight ${context.idempotencyKey}`), { latest: 'b-1' }),
      execute: async (context) => (calls.push(`execute ${context.idempotencyKey}`), { rtoSeconds: 12 }),
      verify: async () => (calls.push('verify'), { scratchDestroyed: true }),
    };
    const engine = new WorkflowEngine({ state, ledger, platformTenant: 'summit-internal', types: suppliedTypes({ drDrill: drill }) });
    const run = await engine.request({ tenant: 'summit-internal', type: 'dr-drill', requestedBy: 'summit-internal/ops', rationale: DRILL, params: {} });
    expect(run).toMatchObject({ status: 'awaiting-approval', outstanding: { approver: 1 } });
    const decided = await engine.decide({ tenant: 'summit-internal', runId: run.runId, approver: 'summit-internal/sec', roles: ['approver'], decision: 'approve', rationale: DRILL });
    expect(decided.status).toBe('approved');
    expect((await engine.execute('summit-internal', run.runId, 'summit-internal/sre')).status).toBe('succeeded');
    expect(calls).toEqual([`preflight ${run.runId}/preflight`, `execute ${run.runId}/execute`, 'verify']);
  });
});
