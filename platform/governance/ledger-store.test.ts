import { describe, expect, it } from 'vitest';
import { hashLeaf, Keyring, LEDGER_KEY_NAME, rootFromLeafHashes, verifyCheckpoint, verifyInclusion } from '../../kernel/ledger/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { LedgerStore } from './ledger-store.ts';

describe.each(TEST_ENGINES)('the per-tenant ledger on %s', (engine) => {
  const db = useWarehouse(engine);

  it('appends concurrent entries in order, one log per tenant, and proves them after a restart', async () => {
    const keyring = Keyring.inMemory(LEDGER_KEY_NAME);
    const ledger = new LedgerStore(db.warehouse, keyring);
    const appends = Array.from({ length: 120 }, (_, i) => {
      const tenant = i % 3 === 0 ? 'beta' : 'alpha';
      return ledger.append(tenant, { receiptId: `r-${i}`, text: `{"n":${i}}`, disclosures: [], keyId: keyring.active.keyId }).then((index) => ({ tenant, i, index }));
    });
    const placed = await Promise.all(appends);
    for (const tenant of ['alpha', 'beta']) {
      const mine = placed.filter((p) => p.tenant === tenant);
      // Indexes are consecutive from 0 and follow the order the appends were made.
      expect(mine.map((p) => p.index)).toEqual(mine.map((_, k) => k));
    }

    const reopened = new LedgerStore(db.warehouse, keyring);
    expect(await reopened.size('alpha')).toBe(80);
    const stored = await db.warehouse.query<{ entry: string }>("SELECT entry FROM ledger_entries WHERE tenant_id = 'alpha' ORDER BY log_index");
    const checkpoint = await reopened.checkpoint('alpha');
    const verified = verifyCheckpoint(checkpoint.note, [keyring.active]);
    expect(verified).toMatchObject({ origin: 'companyos.dev/ledger/alpha', size: 80 });
    expect(verified.rootHash.equals(rootFromLeafHashes(stored.map((r) => hashLeaf(r.entry))))).toBe(true);
    const entry = (await reopened.findReceipt('r-40'))!;
    verifyInclusion(hashLeaf(entry.entry), entry.logIndex, 80, await reopened.inclusionProof('alpha', entry.logIndex, 80), verified.rootHash);
    expect(await reopened.entryByReceipt('beta', 'r-40')).toBeUndefined();
  });
});
