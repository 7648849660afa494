import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { Keyring, LEDGER_KEY_NAME } from '../../kernel/ledger/index.ts';
import { openStateStore, type StateStore } from '../../kernel/state/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { DecisionLog, type DecisionRecord } from './decision-log.ts';
import { LedgerStore } from './ledger-store.ts';
import { appendRecordReceipt } from './record-receipt.ts';

/** A gate decision's id (a UUID, as `newDecisionId` gives), named for the test by `label`. */
const idOf = (label: string) => createHash('sha256').update(label).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
const decision = (n: number, tenant: string): DecisionRecord => ({
  decision_id: idOf(`d-${tenant}-${n}`), timestamp: new Date().toISOString(), path: 'cedar/CompanyOS/read',
  input: { principal: `${tenant}/ana`, action: 'read', resource: 'Resource/r-1', context: {} },
  result: { decision: 'allow', reasons: ['p1'], errors: [] }, bundles: { companyos: { revision: 'r1' } },
  erased: [], masked: [], trace_id: `t-${n}`, tenant, resource_tenant: tenant, method: 'GET', route: '/v1/entities/:id',
});

describe.each(TEST_ENGINES)('decision log on %s', (engine) => {
  const db = useWarehouse(engine);

  it('writes a steady stream of decisions as one insert per batch window, and a reader sees every one', async () => {
    const log = new DecisionLog(db.warehouse, { error: () => undefined });
    onTestFinished(async () => void (await log.close()));
    const insert = vi.spyOn(db.warehouse, 'insert');
    const total = 80;
    const started = performance.now();
    for (let n = 0; n < total; n++) {
      log.record(decision(n, n % 2 ? 'acme' : 'globex'));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const elapsedMs = performance.now() - started;
    const inserts = insert.mock.calls.filter(([table]) => table === 'policy_decisions').length;
    // ClickHouse makes a part of each insert and merges it into the larger ones: a batch every 200 ms rewrote ~60× the bytes inserted under load.
    expect(inserts).toBeGreaterThanOrEqual(1);
    expect(inserts).toBeLessThanOrEqual(Math.ceil(elapsedMs / db.warehouse.capabilities.batchWindowMs) + 1);
    const acme = await log.query('acme', { limit: 1000 });
    expect(acme).toHaveLength(total / 2);
    expect(acme.every((d) => d.tenant === 'acme')).toBe(true);
  });

  it('reads a decision once where storage holds it and a copy restored from its receipt, keeping the original', async () => {
    const log = new DecisionLog(db.warehouse, { error: () => undefined });
    onTestFinished(async () => void (await log.close()));
    const original = decision(1, 'acme');
    // A paused replica's queued decision, restored by another while it slept, then written by it on waking.
    log.record({ ...original, erased: ['input.context', 'trace_id'], trace_id: '' });
    log.record(original);
    log.record(decision(2, 'acme'));
    const read = await log.query('acme', { limit: 10 });
    expect(read.map((d) => d.decision_id).sort()).toEqual([original.decision_id, idOf('d-acme-2')].sort());
    expect(read.find((d) => d.decision_id === original.decision_id)!.trace_id).toBe(original.trace_id);
    expect((await log.since(new Date(0), 10)).map((d) => d.decision_id).sort()).toEqual(read.map((d) => d.decision_id).sort());
  });
});

describe('decision log recovery where several processes write it (ClickHouse)', () => {
  const db = useWarehouse('clickhouse');
  let state: StateStore;
  let ledger: LedgerStore;
  const logs: DecisionLog[] = [];
  /** A decision log of one process; `flushAfterMs` past the test keeps what it records queued until written. */
  const logOf = (flushAfterMs?: number) => {
    const log = new DecisionLog(db.warehouse, { error: () => undefined }, flushAfterMs);
    logs.push(log);
    return log;
  };
  beforeEach(async () => {
    state = await openStateStore(db.warehouse, { dataDir: db.harness.dataDir, tables: platformTables() });
    ledger = new LedgerStore(state, Keyring.inMemory(LEDGER_KEY_NAME));
  });
  // Before the warehouse closes (hooks after a test run in reverse).
  afterEach(async () => {
    await Promise.all(logs.splice(0).map((log) => log.close()));
    await ledger.close();
    await state.close();
  });
  /** A receipt in acme's log citing the decision `label` names (a gate decision's id, or `label` itself when it has a colon). */
  const receipted = (label: string, actor = 'acme/ana') => appendRecordReceipt(ledger, {
    tenant: 'acme', receiptId: `r-${label}`, actor, action: 'create', targetName: 'Asset/a-1', decisionId: label.includes(':') ? label : idOf(label),
    bundleRevision: 'r1', approvers: [], at: new Date(), record: label,
  });
  /** acme's stored decisions and their copies, by id. */
  const stored = async () => (await db.warehouse.query<{ decision_id: string; n: number }>(
    "SELECT decision_id, count() AS n FROM policy_decisions WHERE tenant_id = 'acme' GROUP BY decision_id ORDER BY decision_id",
  )).map((row) => [row.decision_id, Number(row.n)]);
  const once = (...labels: string[]) => labels.map((label) => [idOf(label), 1]).sort(([a], [b]) => String(a).localeCompare(String(b)));

  it('restores a decision only its receipt holds, and not one a live writer still has in its batch', { timeout: 30_000 }, async () => {
    const live = logOf(60_000);
    const starting = logOf();
    // The live replica decided and receipted; its decision waits in its batch. Another one's decision was lost with it (a kill).
    live.record(decision(1, 'acme'));
    await receipted('d-acme-1');
    await receipted('d-lost-2');

    const { recovered, recent } = await starting.recoverFromReceipts('companyos', state);
    expect(recovered).toBe(0);
    // A read during the wait answers with what the wait restores.
    const read = starting.query('acme', { limit: 100 });
    await live.flush();
    expect(await recent).toBe(1);
    expect((await read).map((d) => d.decision_id)).toContain(idOf('d-lost-2'));
    expect(await stored()).toEqual(once('d-acme-1', 'd-lost-2'));

    // A start whose last seconds' receipts all have their decisions stored: its readers do not wait for the deferred check.
    live.record(decision(3, 'acme'));
    await live.flush();
    await receipted('d-acme-3');
    const again = logOf();
    const second = await again.recoverFromReceipts('companyos', state);
    const first = await Promise.race([
      again.query('acme', { limit: 100 }).then((read) => `read ${read.length}`),
      second.recent.then(() => 'deferred check'),
    ]);
    expect(first).toBe('read 3');
    expect(await second.recent).toBe(0);
  });

  it('restores a dead writer\'s decisions over a span however far the log has moved on, and never its own queued ones twice', { timeout: 30_000 }, async () => {
    const restoring = logOf(60_000);
    const other = logOf();
    const since = new Date(Date.now() - 1_000);
    // A process receipted a decision and was killed with it queued; other writers' decisions went on, ten minutes on.
    await receipted('d-dead-1');
    other.record({ ...decision(2, 'acme'), timestamp: new Date(Date.now() + 10 * 60_000).toISOString() });
    await other.flush();
    // The start's recovery looks only shortly before the newest stored decision: it cannot find this one.
    expect((await logOf().recoverFromReceipts('companyos', state)).recovered).toBe(0);
    // The restoring process has a decision of its own queued, its receipt appended; a workflow step's receipt cites no gate decision.
    restoring.record(decision(3, 'acme'));
    await receipted('d-acme-3');
    await receipted('workflow:run-1:1', 'acme/workflows');
    expect(await restoring.restoreBetween('companyos', state, since, new Date(Date.now() + 1_000))).toBe(1);
    expect(await stored()).toEqual(once('d-acme-2', 'd-acme-3', 'd-dead-1'));
  });

  it('lets a start go on when the decisions it restored are not written yet, and a claimed span\'s restore fail', async () => {
    const errors: string[] = [];
    const refusing = Object.assign(Object.create(db.warehouse) as typeof db.warehouse, {
      insert: () => Promise.reject(new Error('the warehouse refuses writes')),
    });
    const log = new DecisionLog(refusing, { error: (_fields: object, message: string) => void errors.push(message) }, 50);
    logs.push(log);
    const since = new Date(Date.now() - 1_000);
    await receipted('d-lost-at-start');
    // Taken as recovered, the write retried: the process's mark does not pass it until written (QueueMarks).
    expect((await log.recoverFromReceipts('companyos', state, new Date(Date.now() + 10_000))).recovered).toBe(1);
    expect(errors).toContain('the decisions restored from receipts are not written yet; retrying');
    await expect(log.restoreBetween('companyos', state, since, new Date(Date.now() + 1_000))).rejects.toThrow('could not write its own queue');
  });

  it('pages through the receipts, restoring each decision a gate receipt cites once and none a platform step\'s cites', { timeout: 60_000 }, async () => {
    const log = new DecisionLog(db.warehouse, { error: () => undefined }, undefined, 100);
    logs.push(log);
    const since = new Date(Date.now() - 1_000);
    const decided = Array.from({ length: 250 }, (_, n) => decision(n, 'acme'));
    for (const record of decided) log.record(record);
    await log.flush();
    await Promise.all(decided.map((_, n) => receipted(`d-acme-${n}`)));
    // A login's receipt names the subject alone, and its decision was logged; a quote approval cites its run's id.
    const cite = (receiptId: string, label: string, actor: string, action: string) => appendRecordReceipt(ledger, {
      tenant: 'acme', receiptId, actor, action, targetName: 'x/1', decisionId: idOf(label), bundleRevision: 'r1', approvers: [], at: new Date(), record: receiptId,
    });
    await cite('login/1', 'd-login', 'ana', 'identity.login');
    await cite('quote/1', 'run-of-a-quote', 'revops-discount', 'revops.quote.approve');
    // One lost decision cited by two receipts, pages apart.
    await receipted('d-lost');
    await Promise.all(Array.from({ length: 120 }, (_, n) => receipted(`d-later-${n}`)));
    await cite('r-d-lost-again', 'd-lost', 'acme/ana', 'update');
    const reads = vi.spyOn(state, 'query');
    // The 120 later ones were never logged either: 122 restored.
    expect(await log.restoreBetween('companyos', state, since, new Date(Date.now() + 1_000))).toBe(122);
    expect(reads.mock.calls.filter(([sql]) => String(sql).includes('FROM ledger_entries')).length).toBeGreaterThanOrEqual(4);
    const all = await stored();
    expect(all.filter(([id]) => id === idOf('d-lost'))).toEqual([[idOf('d-lost'), 1]]);
    expect(all.map(([id]) => id)).not.toContain(idOf('run-of-a-quote'));
    const [login] = await log.query('acme', { principal: 'ana', limit: 10 });
    expect(login).toMatchObject({ decision_id: idOf('d-login'), tenant: 'acme', resource_tenant: 'acme' });
  });
});
