import { describe, expect, it } from 'vitest';
import { hashLeaf, Keyring, LEDGER_KEY_NAME, rootFromLeafHashes, verifyCheckpoint, verifyInclusion } from '../../kernel/ledger/index.ts';
import { openStateStore, type StateStore } from '../../kernel/state/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { LedgerStore } from './ledger-store.ts';
import { platformTables } from '../../surfaces/compose/index.ts';

describe.each(TEST_ENGINES)('the per-tenant ledger on %s', (engine) => {
  const db = useWarehouse(engine);
  const ledgers: LedgerStore[] = [];
  const withState = async (test: (state: StateStore) => Promise<void>) => {
    const state = await openStateStore(db.warehouse, { dataDir: db.harness.dataDir, tables: platformTables() });
    try {
      await test(state);
    } finally {
      // As the platform closes: the ledgers' checkpoints stored, then the store.
      await Promise.all(ledgers.splice(0).map((ledger) => ledger.close()));
      await state.close();
    }
  };
  const ledgerOn = (state: StateStore) => {
    const ledger = new LedgerStore(state, keyring);
    ledgers.push(ledger);
    return ledger;
  };
  const keyring = Keyring.inMemory(LEDGER_KEY_NAME);
  const entry = (id: string) => ({ receiptId: id, text: `{"id":"${id}"}`, disclosures: [], keyId: keyring.active.keyId });

  it('appends concurrent entries in order, one log per tenant, and proves them after a restart', () => withState(async (state) => {
    const ledger = ledgerOn(state);
    const appends = Array.from({ length: 120 }, (_, i) => {
      const tenant = i % 3 === 0 ? 'beta' : 'alpha';
      return ledger.append(tenant, entry(`r-${i}`)).then((index) => ({ tenant, i, index }));
    });
    const placed = await Promise.all(appends);
    for (const tenant of ['alpha', 'beta']) {
      const mine = placed.filter((p) => p.tenant === tenant);
      // Indexes are consecutive from 0 and follow the order the appends were made.
      expect(mine.map((p) => p.index)).toEqual(mine.map((_, k) => k));
    }

    const reopened = ledgerOn(state);
    expect(await reopened.size('alpha')).toBe(80);
    const stored = await state.query<{ entry: string }>("SELECT entry FROM ledger_entries WHERE tenant_id = 'alpha' ORDER BY log_index");
    const checkpoint = await reopened.checkpoint('alpha');
    const verified = verifyCheckpoint(checkpoint.note, [keyring.active]);
    expect(verified).toMatchObject({ origin: 'companyos.dev/ledger/alpha', size: 80 });
    expect(verified.rootHash.equals(rootFromLeafHashes(stored.map((r) => hashLeaf(r.entry))))).toBe(true);
    const found = (await reopened.findReceipt('r-40'))!;
    verifyInclusion(hashLeaf(found.entry), found.logIndex, 80, await reopened.inclusionProof('alpha', found.logIndex, 80), verified.rootHash);
    expect(await reopened.entryByReceipt('beta', 'r-40')).toBeUndefined();
  }));

  it('keeps one log without forks or holes when two writers append to the same tenant at once', () => withState(async (state) => {
    // Two stores are two replicas: each has its own tree in memory and learns of the other only through the store's unique keys.
    const [a, b] = [ledgerOn(state), ledgerOn(state)];
    const placed = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).append('alpha', entry(`w-${i}`))));
    expect([...placed].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const rows = await state.query<{ log_index: number; entry: string }>("SELECT log_index, entry FROM ledger_entries WHERE tenant_id = 'alpha' ORDER BY log_index");
    expect(rows.map((r) => r.log_index)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Each writer's tree, reloaded or not, agrees with what is stored.
    const root = rootFromLeafHashes(rows.map((r) => hashLeaf(r.entry)));
    for (const ledger of [a, b, ledgerOn(state)]) {
      expect(verifyCheckpoint((await ledger.checkpoint('alpha', 60)).note, [keyring.active]).rootHash.equals(root)).toBe(true);
    }
  }));

  it('writes the logs of several tenants in one transaction, at the heads other writers left, and a tenant whose receipt is already logged alone', () => withState(async (state) => {
    let transactions = 0;
    const counted: StateStore = Object.assign(Object.create(state) as StateStore, {
      transaction: <T>(work: Parameters<StateStore['transaction']>[0]) => {
        transactions++;
        return state.transaction(work) as Promise<T>;
      },
    });
    const [a, b] = [ledgerOn(counted), ledgerOn(state)];
    await Promise.all(['alpha', 'beta', 'gamma'].map((tenant) => a.append(tenant, entry(`first-${tenant}`))));
    expect(transactions).toBe(1);
    // Another replica appends to alpha: a's tree of alpha is one behind, and the sequence still puts a's next append after it.
    await b.append('alpha', entry('from-b'));
    transactions = 0;
    const placed = await Promise.all(['alpha', 'beta', 'gamma'].map((tenant) => a.append(tenant, entry(`second-${tenant}`))));
    expect(placed).toEqual([2, 1, 1]);
    expect(transactions).toBe(1);
    // A receipt beta already holds fails the write of all three: each tenant alone, then beta's new one after learning where the old one is.
    transactions = 0;
    const again = await Promise.all([a.append('alpha', entry('third-alpha')), a.append('beta', entry('second-beta')), a.append('beta', entry('third-beta'))]);
    expect(again).toEqual([3, 1, 2]);
    expect(transactions).toBe(4);
    expect(verifyCheckpoint((await a.checkpoint('alpha', 4)).note, [keyring.active]).size).toBe(4);
    const rows = await state.query<{ tenant_id: string; log_index: number; receipt_id: string }>('SELECT tenant_id, log_index, receipt_id FROM ledger_entries ORDER BY tenant_id, log_index');
    expect(rows.map((r) => `${r.tenant_id}:${Number(r.log_index)}:${r.receipt_id}`)).toEqual([
      'alpha:0:first-alpha', 'alpha:1:from-b', 'alpha:2:second-alpha', 'alpha:3:third-alpha',
      'beta:0:first-beta', 'beta:1:second-beta', 'beta:2:third-beta', 'gamma:0:first-gamma', 'gamma:1:second-gamma',
    ]);
  }));

  it('adds nothing when a receipt is appended again (a retry after a lost answer), and answers where it already is', () => withState(async (state) => {
    const first = ledgerOn(state);
    await first.append('alpha', entry('r-0'));
    const index = await first.append('alpha', entry('r-1'));
    const retrying = ledgerOn(state);
    expect(await retrying.append('alpha', entry('r-1'))).toBe(index);
    expect(await retrying.append('alpha', entry('r-2'))).toBe(2);
    const [count] = await state.query<{ n: number }>("SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = 'alpha'");
    expect(Number(count!.n)).toBe(3);
  }));

  it('writes a receipt appended twice at once (a settlement beside the first try) once, among other appends, and answers both with its index', () => withState(async (state) => {
    const ledger = ledgerOn(state);
    const placed = await Promise.all([ledger.append('alpha', entry('r-0')), ledger.append('alpha', entry('r-1')), ledger.append('alpha', entry('r-0')), ledger.append('alpha', entry('r-2'))]);
    expect(placed).toEqual([0, 1, 0, 2]);
    const rows = await state.query<{ receipt_id: string }>("SELECT receipt_id FROM ledger_entries WHERE tenant_id = 'alpha' ORDER BY log_index");
    expect(rows.map((r) => r.receipt_id)).toEqual(['r-0', 'r-1', 'r-2']);
  }));
});

describe('a receipt appended by another process (a replica)', () => {
  const db = useWarehouse('duckdb');

  it('is proven against a checkpoint that covers it: the tree reads in what it had not learnt', async () => {
    const state = await openStateStore(db.warehouse, { dataDir: db.harness.dataDir, tables: platformTables() });
    const keyring = Keyring.inMemory(LEDGER_KEY_NAME);
    const [writer, reader] = [new LedgerStore(state, keyring), new LedgerStore(state, keyring)];
    try {
      // The reader's tree is loaded (empty) before the writer appends.
      expect(await reader.size('acme')).toBe(0);
      for (const id of ['r-0', 'r-1']) await writer.append('acme', { receiptId: id, text: `{"id":"${id}"}`, disclosures: [], keyId: keyring.active.keyId });
      const found = (await reader.entryByReceipt('acme', 'r-1'))!;
      const checkpoint = await reader.checkpointCovering('acme', found.logIndex + 1);
      expect(checkpoint.size).toBe(2);
      verifyInclusion(hashLeaf(found.entry), found.logIndex, 2, await reader.inclusionProof('acme', found.logIndex, 2), checkpoint.rootHash);
    } finally {
      await writer.close();
      await reader.close();
      await state.close();
    }
  });
});
