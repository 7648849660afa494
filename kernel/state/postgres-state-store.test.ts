import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { Keyring, LEDGER_KEY_NAME } from '../ledger/index.ts';
import { LedgerStore } from '../../platform/governance/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { freshPostgresDatabase } from '../../test/support/postgres.ts';
import { PostgresStateStore } from './postgres-state-store.ts';
import { ensureStateSchema } from './state-schema.ts';
import { stateStoreContract, type OpenedStateStore } from './state-store-contract.ts';
import type { StateReader } from './state-store.ts';

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

/** A TCP relay to PostgreSQL that counts the writes the client sends it: one a round trip, whatever each carries. */
async function countingRelay(server: string): Promise<{ url: string; writes(): number; close(): Promise<void> }> {
  const target = new URL(server);
  const sockets = new Set<Socket>();
  let writes = 0;
  const relay = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk) => {
      writes++;
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const url = new URL(server);
  url.port = String((relay.address() as AddressInfo).port);
  return {
    url: url.toString(),
    writes: () => writes,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      relay.close(() => resolve());
    }),
  };
}

/** A fresh store and a client of its own on its database (to act behind the store's back), both put away after `use`. */
async function withAdmin(use: (opened: OpenedStateStore & { url: string }, admin: pg.Client) => Promise<void>): Promise<void> {
  const opened = await freshStore(url!);
  const admin = new pg.Client({ connectionString: opened.url });
  await admin.connect();
  try {
    await use(opened, admin);
  } finally {
    await admin.end();
    await opened.dispose();
  }
}

describe.skipIf(!url)('transactions on PostgreSQL, pipelined', () => {
  const request = (id: string) => ({ tenant_id: 'acme', request_id: id, entity_id: 'e-1', action: 'delete', requested_by: 'ana', requested_at: new Date(), decision_id: `d-${id}` });
  const ledgerRow = (id: string) => ({ tenant_id: 'acme', receipt_id: id, entry: '{}', leaf_hash: '00', disclosures: '[]', key_id: 'k', appended_at: new Date() });
  const headOf = async (reader: StateReader) => {
    const [row] = await reader.query<{ next: number }>("SELECT coalesce(max(log_index) + 1, 0) AS next FROM ledger_entries WHERE tenant_id = 'acme'");
    return Number(row!.next);
  };
  const numbering = { sequence: 'ledger/acme', column: 'log_index', head: headOf };

  it('sends a transaction\'s statements that need no answer in between — BEGIN, inserts, the numbered insert, COMMIT — in one write', async () => {
    const opened = await freshStore(url!);
    const relay = await countingRelay(opened.url);
    const store = await PostgresStateStore.open(relay.url, platformTables());
    try {
      // The first numbering by a sequence makes its row, in round trips of its own; the pool's connection opens here too.
      await store.transaction((tx) => tx.insertNumbered('ledger_entries', [ledgerRow('r-0')], numbering, () => undefined));
      const before = relay.writes();
      let first = -1;
      await store.transaction(async (tx) => {
        await tx.insert('approval_requests', [request('q-1')]);
        await tx.insert('approval_requests', [request('q-2')]);
        await tx.insertNumbered('ledger_entries', [ledgerRow('r-1'), ledgerRow('r-2')], numbering, (n) => (first = n));
      });
      expect(relay.writes() - before).toBe(1);
      expect(first).toBe(1);
      // A read needs its answer: what is held goes with it, and the rest with the COMMIT.
      const between = relay.writes();
      const seen = await store.transaction(async (tx) => {
        await tx.insert('approval_requests', [request('q-3')]);
        const rows = await tx.query<{ n: number }>("SELECT count(*) AS n FROM approval_requests WHERE tenant_id = 'acme'");
        await tx.insertNumbered('ledger_entries', [ledgerRow('r-3')], numbering, () => undefined);
        return Number(rows[0]!.n);
      });
      expect(seen).toBe(3);
      expect(relay.writes() - between).toBe(2);
      // A snapshot: BEGIN with its first read, the second read, ROLLBACK.
      const reading = relay.writes();
      await store.snapshot(async (reader) => {
        await reader.query('SELECT 1 AS one');
        await reader.query('SELECT 2 AS two');
      });
      expect(relay.writes() - reading).toBe(3);
      const indexes = await opened.store.query<{ log_index: number }>("SELECT log_index FROM ledger_entries WHERE tenant_id = 'acme' ORDER BY log_index");
      expect(indexes.map((row) => Number(row.log_index))).toEqual([0, 1, 2, 3]);
    } finally {
      await store.close();
      await relay.close();
      await opened.dispose();
    }
  });

  it('runs a transaction\'s work once while the one that made its sequence\'s row commits, and after that one rolled back at COMMIT', async () => {
    await withAdmin(async (opened, admin) => {
    // Checked at COMMIT: a request named q-slow-… holds its transaction's COMMIT 300 ms, one named q-fail-… fails it.
    await admin.query(`CREATE FUNCTION at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.request_id LIKE 'q-slow-%' THEN PERFORM pg_sleep(0.3); END IF;
        IF NEW.request_id LIKE 'q-fail-%' THEN RAISE EXCEPTION 'refused at commit'; END IF;
        RETURN NULL;
      END $$`);
    await admin.query('CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON approval_requests DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION at_commit()');
    const runs = new Map<string, number>();
    const told = new Map<string, number>();
    const append = (id: string, sequence: string) => opened.store.transaction(async (tx) => {
      runs.set(id, (runs.get(id) ?? 0) + 1);
      await tx.insert('approval_requests', [request(`q-${id}`)]);
      await tx.insertNumbered('ledger_entries', [{ ...ledgerRow(id), tenant_id: sequence }], { ...numbering, sequence: `ledger/${sequence}` }, (n) => told.set(id, n));
    });
    const slow = append('slow-1', 'one');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await Promise.all([slow, append('next-1', 'one')]);
    await expect(append('fail-2', 'two')).rejects.toThrow('refused at commit');
    await append('next-2', 'two');
    expect(Object.fromEntries(runs)).toEqual({ 'slow-1': 1, 'next-1': 1, 'fail-2': 1, 'next-2': 1 });
    expect(Object.fromEntries(told)).toEqual({ 'slow-1': 0, 'next-1': 1, 'next-2': 0 });
    });
  });

  it('waits for a statement its work did not wait for before it commits, and leaves no transaction open on the connection', async () => {
    await withAdmin(async (opened, admin) => {
    let told = false;
    await opened.store.transaction(async (tx) => {
      void tx.query('SELECT 1 AS one');
      tx.afterCommit(() => (told = true));
    });
    expect(told).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [open] = (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'")).rows;
    expect(open.n).toBe(0);
    // A failure the work did not wait for still fails the transaction, and keeps nothing.
    const failing = opened.store.transaction(async (tx) => {
      await tx.insert('approval_requests', [request('q-lost')]);
      void tx.query('SELECT CAST(requested_by AS INTEGER) FROM approval_requests').catch(() => undefined);
    });
    await expect(failing).rejects.toThrow();
    expect(await opened.store.query("SELECT request_id FROM approval_requests WHERE request_id = 'q-lost'")).toEqual([]);
    });
  });

  it('fails a transaction whose connection the server ends, without bringing the process down, and goes on on a new one', async () => {
    await withAdmin(async (opened, admin) => {
    const ended = opened.store.transaction(async (tx) => {
      const [backend] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [backend!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await tx.query('SELECT 1 AS one');
    });
    await expect(ended).rejects.toThrow();
    await opened.store.transaction((tx) => tx.insert('approval_requests', [request('q-after')]));
    expect(await opened.store.query("SELECT request_id FROM approval_requests WHERE request_id = 'q-after'")).toEqual([{ request_id: 'q-after' }]);
    });
  });

  it('keeps each statement with parameters prepared on its connection, and runs unnamed one a table change broke', async () => {
    await withAdmin(async (opened, admin) => {
    const count = "SELECT count(*) AS n FROM approval_requests WHERE tenant_id = ? AND action <> 'kept-prepared'";
    const preparedAfter = (uses: number) => opened.store.transaction(async (tx) => {
      for (let i = 0; i < uses; i++) await tx.query(count, ['acme']);
      return (await tx.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).map((row) => row.statement);
    });
    // A text made once (a list's length, a batch's row count) takes no name; one asked for a third time does.
    expect(await preparedAfter(2)).not.toContain(count.replace('?', '$1'));
    expect(await preparedAfter(1)).toContain(count.replace('?', '$1'));
    // A column added behind the store's back changes what a kept `SELECT *` answers: PostgreSQL refuses it once.
    const all = "SELECT * FROM approval_requests WHERE tenant_id = ? AND action <> 'star'";
    await opened.store.transaction(async (tx) => {
      await tx.insert('approval_requests', [request('q-1')]);
      for (let i = 0; i < 3; i++) await tx.query(all, ['acme']);
    });
    await admin.query('ALTER TABLE approval_requests ADD COLUMN note TEXT');
    // One after another, as a caller retrying would: on the one connection the store has opened so far.
    const attempts: PromiseSettledResult<Record<string, unknown>[]>[] = [];
    for (let i = 0; i < 3; i++) attempts.push(...await Promise.allSettled([opened.store.transaction((tx) => tx.query(all, ['acme']))]));
    expect(attempts.map((a) => a.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect((attempts[2] as PromiseFulfilledResult<Record<string, unknown>[]>).value[0]).toHaveProperty('note', null);
    });
  });

  it('numbers on from the log, with nothing lost, when a sequence it had used loses its row behind its back', async () => {
    await withAdmin(async (opened, admin) => {
    const told: number[] = [];
    const append = (id: string) => opened.store.transaction(async (tx) => {
      await tx.insert('approval_requests', [request(`q-${id}`)]);
      await tx.insertNumbered('ledger_entries', [ledgerRow(id)], numbering, (n) => told.push(n));
    });
    await append('r-0');
    await append('r-1');
    await admin.query('DELETE FROM state_sequences');
    await append('r-2');
    await append('r-3');
    expect(told).toEqual([0, 1, 2, 3]);
    const requests = await opened.store.query<{ request_id: string }>('SELECT request_id FROM approval_requests ORDER BY request_id');
    expect(requests.map((row) => row.request_id)).toEqual(['q-r-0', 'q-r-1', 'q-r-2', 'q-r-3']);
    });
  });
});

describe.skipIf(!url)('range reads across tenants on PostgreSQL', () => {
  // A start reads the receipts and workflow transitions of the minutes before it, in every tenant: without an index
  // on their time, each start would read the whole ledger.
  it.each([
    ['ledger_entries', 'appended_at', 'SELECT tenant_id, entry FROM ledger_entries WHERE appended_at >= $1 AND appended_at < $2'],
    ['workflow_transitions', 'occurred_at', 'SELECT DISTINCT tenant_id, run_id FROM workflow_transitions WHERE occurred_at >= $1 AND occurred_at < $2'],
  ])('reads %s by time through an index on %s, not a scan of every tenant\'s rows', async (_table, column, sql) => {
    const opened = await freshStore(url!);
    const client = new pg.Client({ connectionString: opened.url });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = (await client.query(`EXPLAIN ${sql}`, [new Date(Date.now() - 60_000), new Date()])).rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
      // The time is the index's condition (not a filter over a whole index read in another order).
      expect(plan).toMatch(new RegExp(`Index Cond: \\(\\(${column} >=`));
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      await client.end();
      await opened.dispose();
    }
  });
});

describe.skipIf(!url)('schema set-up on PostgreSQL by replicas starting at once', () => {
  it('creates the tables and indexes once, whichever replica gets there first, and neither start fails', { timeout: 60_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const database = await freshPostgresDatabase(url!);
      const replicas = await Promise.all([0, 1, 2].map(() => PostgresStateStore.open(database.url, platformTables())));
      try {
        await Promise.all(replicas.map((store) => ensureStateSchema(store)));
        const [indexes] = await replicas[0]!.query<{ n: number }>("SELECT count(*) AS n FROM pg_indexes WHERE indexname = 'ledger_entries_by_appended_at'");
        expect(Number(indexes!.n)).toBe(1);
      } finally {
        await Promise.all(replicas.map((store) => store.close()));
        await database.drop();
      }
    }
  });
});
