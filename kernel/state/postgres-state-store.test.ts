import { describe, expect, inject, it } from 'vitest';
import { Keyring, LEDGER_KEY_NAME } from '../ledger/index.ts';
import { LedgerStore } from '../../platform/governance/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { freshPostgresDatabase } from '../../test/support/postgres.ts';
import { PostgresStateStore } from './postgres-state-store.ts';
import { ensureStateSchema } from './state-schema.ts';
import { stateStoreContract, type OpenedStateStore } from './state-store-contract.ts';

const url = inject('postgresUrl');

/** A fresh database on the test cluster, schema-ready, dropped afterwards. */
async function freshStore(server: string): Promise<OpenedStateStore & { url: string }> {
  const database = await freshPostgresDatabase(server);
  const store = await PostgresStateStore.open(database.url, platformTables());
  await ensureStateSchema(store);
  return {
    store,
    url: database.url,
    async dispose() {
      await store.close();
      await database.drop();
    },
  };
}

// Without a server (CI refuses to run then) the contract is not registered and the suite below says why it skipped.
if (url) stateStoreContract('PostgreSQL', () => freshStore(url));

describe.skipIf(!url)('the ledger on PostgreSQL, appended by two platform processes at once', () => {
  it('sequences one tenant\'s log without a fork or a hole, and a receipt appended twice is one entry', async () => {
    const opened = await freshStore(url!);
    const other = await PostgresStateStore.open(opened.url, platformTables());
    const keyring = Keyring.inMemory(LEDGER_KEY_NAME);
    // Two replicas: each its own pool and its own ledger, with its own in-memory tree.
    const replicas = [new LedgerStore(opened.store, keyring), new LedgerStore(other, keyring)];
    try {
      const append = (replica: LedgerStore, i: number) => replica.append('acme', { receiptId: `r-${i}`, text: `{"receipt":${i}}`, disclosures: [], keyId: keyring.active.keyId });
      const indexes = await Promise.all(Array.from({ length: 60 }, (_, i) => append(replicas[i % 2]!, i)));
      expect([...indexes].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      // A retry after a lost answer, on the other replica: where it already is, nothing added.
      expect(await append(replicas[1]!, 0)).toBe(indexes[0]);
      const rows = await opened.store.query<{ log_index: number; receipt_id: string }>("SELECT log_index, receipt_id FROM ledger_entries WHERE tenant_id = 'acme' ORDER BY log_index");
      expect(rows.map((r) => r.log_index)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(new Set(rows.map((r) => r.receipt_id)).size).toBe(60);
      // Both replicas' trees agree with the stored log.
      const [a, b] = await Promise.all(replicas.map((replica) => replica.checkpoint('acme', 60)));
      expect(a!.rootHash.toString('hex')).toBe(b!.rootHash.toString('hex'));
    } finally {
      for (const replica of replicas) await replica.close();
      await other.close();
      await opened.dispose();
    }
  });
});
