import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Keyring, LEDGER_KEY_NAME, hashLeaf, rootFromLeafHashes } from '../../kernel/ledger/index.ts';
import { DuckDBStateStore, ensureStateSchema } from '../../kernel/state/index.ts';
import { LedgerStore } from '../governance/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { runUntilKilled } from '../../test/support/until-killed.ts';
import { testWorkflow } from './testdata/test-workflow.ts';
import { WorkflowEngine } from './workflow-engine.ts';

/** Runs the child until it pauses (or finishes), then SIGKILLs it; answers what it printed last. */
const runUntilKilledAt = (dir: string, stop: string, onInterrupt: 'retry' | 'compensate' = 'retry') =>
  runUntilKilled('platform/workflows/testdata/run-until-killed.ts', [dir, stop, onInterrupt]);

/** After the kill: a new process resumes, then does whatever the dead one had not got to; answers the journal and the run. */
async function finishAfterRestart(dir: string, onInterrupt: 'retry' | 'compensate' = 'retry') {
  const state = await DuckDBStateStore.open(join(dir, 'state.duckdb'), platformTables());
  await ensureStateSchema(state);
  const ledger = new LedgerStore(state, await Keyring.open(join(dir, 'keys'), LEDGER_KEY_NAME));
  try {
    const engine = new WorkflowEngine({ state, ledger, types: [testWorkflow({ journal: join(dir, 'journal.txt'), onInterrupt })] });
    await engine.resume();
    let [run] = await engine.list('acme');
    run ??= await engine.request({ tenant: 'acme', type: 'test-change', requestedBy: 'ana', rationale: { category: 'maintenance', text: 'rotate the staging certificate' }, params: { target: 'cert' } });
    if (run.status === 'awaiting-approval') {
      run = await engine.decide({ tenant: 'acme', runId: run.runId, approver: 'bo', roles: ['approver'], decision: 'approve', rationale: { category: 'maintenance', text: 'the preflight output looks right' } });
    }
    if (run.status === 'approved') run = await engine.execute('acme', run.runId, 'cy');
    const receipts = await ledger.entries('acme', run.transitions.map((t) => t.receiptId));
    const leaves = await state.query<{ leaf_hash: string; entry: string }>("SELECT leaf_hash, entry FROM ledger_entries WHERE tenant_id = 'acme' ORDER BY log_index");
    for (const leaf of leaves) expect(hashLeaf(leaf.entry).toString('hex')).toBe(leaf.leaf_hash);
    const tree = rootFromLeafHashes(leaves.map((leaf) => Buffer.from(leaf.leaf_hash, 'hex')));
    expect(tree.toString('hex')).toBe((await ledger.checkpoint('acme')).rootHash.toString('hex'));
    const journal = (await readFile(join(dir, 'journal.txt'), 'utf8')).split('\n').filter(Boolean).map((line) => line.split(' ')[0]);
    return { run, journal, receipts: receipts.length, ledgerSize: leaves.length };
  } finally {
    await ledger.close();
    await state.close();
  }
}

describe('a workflow run killed with SIGKILL', () => {
  it('finishes exactly once after a restart, whichever committed transaction it died after', async () => {
    // Learn how many state transactions a whole run commits, then die after each in turn.
    const whole = await mkdtemp(join(tmpdir(), 'companyos-wf-kill-'));
    let total: number;
    try {
      await writeFile(join(whole, 'journal.txt'), '');
      const said = await runUntilKilledAt(whole, 'never');
      total = Number(said.split(' ')[1]);
      expect(total).toBeGreaterThan(10);
    } finally {
      await rm(whole, { recursive: true, force: true });
    }
    for (let stop = 1; stop < total; stop++) {
      const dir = await mkdtemp(join(tmpdir(), 'companyos-wf-kill-'));
      try {
        await writeFile(join(dir, 'journal.txt'), '');
        expect(await runUntilKilledAt(dir, String(stop)), `stop ${stop}`).toBe('paused');
        const { run, journal, receipts, ledgerSize } = await finishAfterRestart(dir);
        expect(run.status, `stop ${stop}`).toBe('succeeded');
        expect(run.transitions.map((t) => t.status), `stop ${stop}`).toEqual(['requested', 'awaiting-approval', 'approved', 'executing', 'succeeded']);
        // The execute step finished once; it may have started twice only if it died between its start and end rows.
        expect(journal.filter((line) => line === 'execute-done'), `stop ${stop}`).toHaveLength(1);
        expect(journal.filter((line) => line === 'verify').length, `stop ${stop}`).toBeLessThanOrEqual(2);
        // Every transition has its receipt, once.
        expect([receipts, ledgerSize], `stop ${stop}`).toEqual([5, 5]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }, 240_000);

  it('retries an executor killed mid-way, with the same idempotency key, or compensates when its type says so', async () => {
    for (const onInterrupt of ['retry', 'compensate'] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'companyos-wf-kill-'));
      try {
        await writeFile(join(dir, 'journal.txt'), '');
        expect(await runUntilKilledAt(dir, 'mid-execute', onInterrupt)).toBe('paused');
        const { run, journal } = await finishAfterRestart(dir, onInterrupt);
        if (onInterrupt === 'retry') {
          expect(run.status).toBe('succeeded');
          expect(journal).toEqual(['preflight', 'execute-start', 'execute-start', 'execute-done', 'verify']);
          expect(run.steps.filter((s) => s.step === 'execute').map((s) => `${s.phase}#${s.attempt}`).sort()).toEqual(['completed#2', 'started#1', 'started#2']);
        } else {
          expect(run.status).toBe('rolled-back');
          expect(journal).toEqual(['preflight', 'execute-start', 'rollback']);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }, 60_000);
});
