import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../errors/index.ts';
import type { StateStore, StateTransaction } from './state-store.ts';

/** A store under test and how to put it away. */
export interface OpenedStateStore {
  store: StateStore;
  dispose(): Promise<void>;
}

const request = (id: string, tenant = 'acme') => ({
  tenant_id: tenant, request_id: id, entity_id: 'e-1', action: 'delete', requested_by: 'ana', requested_at: new Date('2026-11-30T10:00:00.000Z'), decision_id: `d-${id}`,
});

async function conflictOf(work: Promise<unknown>): Promise<string> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).code;
}

/**
 * What every `StateStore` adapter must do, one suite for all of them (the embedded
 * DuckDB adapter now, PostgreSQL with the scale-out profile): `open` gives a fresh,
 * schema-ready store per test.
 */
export function stateStoreContract(name: string, open: () => Promise<OpenedStateStore>): void {
  describe(`the state store contract: ${name}`, () => {
    let opened: OpenedStateStore;
    let store: StateStore;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(() => opened.dispose());

    it('commits every write of a transaction together, and keeps none when it throws', async () => {
      await store.transaction((tx) => tx.insert('approval_requests', [request('r-1'), request('r-2')]));
      const failed = store.transaction(async (tx) => {
        await tx.insert('approval_requests', [request('r-3')]);
        throw new Error('the caller changed its mind');
      });
      await expect(failed).rejects.toThrow('changed its mind');
      const rows = await store.query<{ request_id: string }>('SELECT request_id FROM approval_requests ORDER BY request_id');
      expect(rows.map((r) => r.request_id)).toEqual(['r-1', 'r-2']);
    });

    it('answers a read asked again after a write with what is there now, constant filters and joins included', async () => {
      // The same texts, asked first on an empty table: an engine that plans once and keeps the plan
      // (statistics proving no row matches) must not answer from it after the rows arrive.
      const reads = [
        "SELECT request_id FROM approval_requests WHERE action = 'purge' ORDER BY request_id",
        "SELECT r.request_id FROM approval_requests r JOIN (SELECT tenant_id, max(request_id) AS last FROM approval_requests GROUP BY tenant_id) l ON l.tenant_id = r.tenant_id AND l.last = r.request_id WHERE r.action = 'purge'",
        "SELECT count(*) AS n FROM approval_requests WHERE requested_by = 'zoe' AND tenant_id = ?",
      ];
      for (let round = 0; round < 3; round++) {
        for (const sql of reads) await store.query(sql, sql.includes('?') ? ['acme'] : []);
      }
      await store.transaction((tx) => tx.insert('approval_requests', [{ ...request('r-9'), action: 'purge', requested_by: 'zoe' }]));
      for (let round = 0; round < 3; round++) {
        expect(await store.query(reads[0]!)).toEqual([{ request_id: 'r-9' }]);
        expect(await store.query(reads[1]!)).toEqual([{ request_id: 'r-9' }]);
        expect(Number((await store.query<{ n: number }>(reads[2]!, ['acme']))[0]!.n)).toBe(1);
      }
    });

    it('reads one committed state in a snapshot: a transaction committed between its reads is seen by none of them', async () => {
      await store.transaction((tx) => tx.insert('approval_requests', [request('r-1')]));
      const seen = await store.snapshot(async (reader) => {
        const before = await reader.query<{ request_id: string }>('SELECT request_id FROM approval_requests ORDER BY request_id');
        await store.transaction((tx) => tx.insert('approval_requests', [request('r-2')]));
        const after = await reader.query<{ request_id: string }>('SELECT request_id FROM approval_requests ORDER BY request_id');
        const [count] = await reader.query<{ n: number }>('SELECT count(*) AS n FROM approval_requests');
        return { before: before.map((r) => r.request_id), after: after.map((r) => r.request_id), count: Number(count!.n) };
      });
      expect(seen).toEqual({ before: ['r-1'], after: ['r-1'], count: 1 });
      // Reads asked at once inside it are answered too, and the snapshot ends with the work.
      const both = await store.snapshot((reader) => Promise.all([reader.query('SELECT 1 AS one'), reader.query('SELECT request_id FROM approval_requests ORDER BY request_id')]));
      expect(both[1]).toEqual([{ request_id: 'r-1' }, { request_id: 'r-2' }]);
      await expect(store.snapshot((reader) => reader.query('SELECT * FROM no_such_table'))).rejects.toThrow();
      expect(await store.query('SELECT request_id FROM approval_requests ORDER BY request_id')).toHaveLength(2);
    });

    it('refuses a taken unique key with STATE_CONFLICT and rolls back the whole transaction', async () => {
      await store.transaction((tx) => tx.insert('approval_requests', [request('r-1')]));
      const code = await conflictOf(store.transaction(async (tx) => {
        await tx.insert('approval_requests', [request('r-2')]);
        await tx.insert('approval_requests', [request('r-1')]);
      }));
      expect(code).toBe('STATE_CONFLICT');
      expect(await store.query('SELECT request_id FROM approval_requests ORDER BY request_id')).toEqual([{ request_id: 'r-1' }]);
      // The same id in another tenant is another key.
      await store.transaction((tx) => tx.insert('approval_requests', [request('r-1', 'globex')]));
    });

    it('answers STATE_CONFLICT, with nothing written, whichever of a transaction\'s inserts into several tables meets the taken key', async () => {
      const checkpoint = (size: number) => ({ tenant_id: 'acme', tree_size: size, root_hash: 'r', note: 'n', key_id: 'k', signed_at: new Date('2026-11-30T10:00:00.000Z') });
      const approval = (id: string) => ({
        tenant_id: 'acme', approval_id: id, request_id: 'r-1', entity_id: 'e-1', action: 'delete', requested_by: 'ana', approver: 'bo',
        rationale_category: 'other', rationale: 'because', evidence_ids: '[]', approved_at: new Date('2026-11-30T10:00:00.000Z'), status: 'approved',
      });
      await store.transaction(async (tx) => {
        await tx.insert('approval_requests', [request('taken')]);
        await tx.insert('ledger_checkpoints', [checkpoint(1)]);
        await tx.insert('approvals', [approval('a-taken')]);
      });
      const tables = [
        (tx: StateTransaction, taken: boolean) => tx.insert('approval_requests', [request(taken ? 'taken' : 'r-new')]),
        (tx: StateTransaction, taken: boolean) => tx.insert('ledger_checkpoints', [checkpoint(taken ? 1 : 2)]),
        (tx: StateTransaction, taken: boolean) => tx.insert('approvals', [approval(taken ? 'a-taken' : 'a-new')]),
      ];
      for (let at = 0; at < tables.length; at++) {
        const code = await conflictOf(store.transaction(async (tx) => {
          for (const [i, insert] of tables.entries()) await insert(tx, i === at);
        }));
        expect(code, `taken key in insert ${at + 1} of 3`).toBe('STATE_CONFLICT');
      }
      const counts = await store.query<{ n: number }>(
        "SELECT count(*) AS n FROM approval_requests UNION ALL SELECT count(*) FROM ledger_checkpoints UNION ALL SELECT count(*) FROM approvals",
      );
      expect(counts.map((row) => Number(row.n))).toEqual([1, 1, 1]);
    });

    it('inserts only the new rows of an idempotent write, and says how many', async () => {
      await store.transaction((tx) => tx.insert('approval_requests', [request('r-1')]));
      const inserted = await store.transaction((tx) => tx.insertNew('approval_requests', [request('r-1'), request('r-2'), request('r-3')]));
      expect(inserted).toBe(2);
      expect(await store.transaction((tx) => tx.insertNew('approval_requests', [request('r-2')]))).toBe(0);
      const [count] = await store.query<{ n: number }>('SELECT count(*) AS n FROM approval_requests');
      expect(Number(count!.n)).toBe(3);
    });

    it('compares and sets: changes the row while it holds the expected values, and nothing once it does not', async () => {
      await store.transaction((tx) => tx.insert('approval_requests', [request('r-1')]));
      const where = { tenant_id: 'acme', request_id: 'r-1' };
      expect(await store.transaction((tx) => tx.compareAndSet('approval_requests', where, { requested_by: 'ana' }, { requested_by: 'bo' }))).toBe(true);
      expect(await store.transaction((tx) => tx.compareAndSet('approval_requests', where, { requested_by: 'ana' }, { requested_by: 'cy' }))).toBe(false);
      expect(await store.transaction((tx) => tx.compareAndSet('approval_requests', { tenant_id: 'globex', request_id: 'r-1' }, { requested_by: 'bo' }, { requested_by: 'cy' }))).toBe(false);
      expect(await store.query('SELECT requested_by FROM approval_requests')).toEqual([{ requested_by: 'bo' }]);
    });

    it('deletes only the rows every column of its condition selects, within the tenant named, and refuses a condition naming none', async () => {
      await store.transaction((tx) => tx.insert('approval_requests', [request('r-1'), request('r-2'), { ...request('r-1'), tenant_id: 'globex' }]));
      expect(await store.transaction((tx) => tx.delete('approval_requests', { tenant_id: 'acme', request_id: 'r-1' }))).toBe(1);
      expect(await store.transaction((tx) => tx.delete('approval_requests', { tenant_id: 'acme', request_id: 'r-1' }))).toBe(0);
      await expect(store.transaction((tx) => tx.delete('approval_requests', {}))).rejects.toThrow(/names no row/);
      const left = await store.query<{ tenant_id: string; request_id: string }>('SELECT tenant_id, request_id FROM approval_requests ORDER BY tenant_id, request_id');
      expect(left).toEqual([{ tenant_id: 'acme', request_id: 'r-2' }, { tenant_id: 'globex', request_id: 'r-1' }]);
    });

    it('fails only the transaction at fault when many run at once: the others commit', async () => {
      await store.transaction((tx) => tx.insert('approval_requests', [request('taken')]));
      const outcomes = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => store.transaction(async (tx) => {
        if (i === 7) throw new Error('the caller changed its mind');
        await tx.insert('approval_requests', [request(i === 19 ? 'taken' : `r-${i}`)]);
        return i;
      })));
      const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [[i, (o.reason as Error).message.slice(0, 26)]] : []));
      expect(failed).toEqual([[7, 'the caller changed its min'], [19, 'Someone else changed the s']]);
      const [count] = await store.query<{ n: number }>('SELECT count(*) AS n FROM approval_requests');
      expect(Number(count!.n)).toBe(1 + 28);
    });

    it('never commits a transaction one of whose statements failed, even when its work caught the error: it fails with it, and the others commit', async () => {
      // Both engines end a transaction at a failed statement and then answer COMMIT without an error, having kept nothing.
      const told: number[] = [];
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store.transaction(async (tx) => {
        await tx.insert('approval_requests', [request(`r-${i}`)]);
        if (i === 5) await tx.query('SELECT CAST(requested_by AS INTEGER) AS n FROM approval_requests').catch(() => undefined);
        tx.afterCommit(() => told.push(i));
        return i;
      })));
      const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []));
      expect(failed).toEqual([5]);
      expect((outcomes[5] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
      expect(told.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
      const rows = await store.query<{ request_id: string }>('SELECT request_id FROM approval_requests ORDER BY request_id');
      expect(rows.map((r) => r.request_id).sort()).toEqual(told.map((i) => `r-${i}`).sort());
    });

    it('lets exactly one of many racing writers take a key', async () => {
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store.transaction(async (tx) => {
        const [head] = await tx.query<{ n: number }>("SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = 'acme'");
        await tx.insert('ledger_entries', [{
          tenant_id: 'acme', log_index: Number(head!.n), receipt_id: `r-${i}`, entry: '{}', leaf_hash: '00', disclosures: '[]', key_id: 'k', appended_at: new Date(),
        }]);
      })));
      const won = outcomes.filter((o) => o.status === 'fulfilled').length;
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toBeGreaterThanOrEqual(1);
      for (const failure of lost) expect((failure.reason as DomainError).code).toBe('STATE_CONFLICT');
      const rows = await store.query<{ log_index: number }>("SELECT log_index FROM ledger_entries WHERE tenant_id = 'acme' ORDER BY log_index");
      // However the race fell, no index was written twice and none was skipped.
      expect(rows.map((r) => r.log_index)).toEqual(Array.from({ length: won }, (_, i) => i));
    });

    const ledgerRow = (id: string, tenant = 'acme') => ({
      tenant_id: tenant, receipt_id: id, entry: '{}', leaf_hash: '00', disclosures: '[]', key_id: 'k', appended_at: new Date(),
    });
    const numbering = (tenant: string) => ({
      sequence: `ledger/${tenant}`,
      column: 'log_index',
      head: async (reader: { query: StateStore['query'] }) => {
        const [row] = await reader.query<{ next: number }>('SELECT coalesce(max(log_index) + 1, 0) AS next FROM ledger_entries WHERE tenant_id = ?', [tenant]);
        return Number(row!.next);
      },
    });
    const indexesOf = async (tenant: string) =>
      (await store.query<{ log_index: number }>('SELECT log_index FROM ledger_entries WHERE tenant_id = ? ORDER BY log_index', [tenant])).map((r) => Number(r.log_index));

    it('numbers rows by a sequence without holes or repeats across racing and rolled-back transactions, and tells the number only on commit', async () => {
      const told = new Map<number, number>();
      const outcomes = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => store.transaction(async (tx) => {
        const rows = Array.from({ length: 1 + (i % 3) }, (_, k) => ledgerRow(`r-${i}-${k}`));
        await tx.insertNumbered('ledger_entries', rows, numbering('acme'), (first) => told.set(i, first));
        if (i % 5 === 2) throw new Error('the caller changed its mind');
      }, i % 4 === 0 ? { alone: true } : {})));
      const committed = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []))).toEqual([2, 7, 12, 17, 22]);
      expect([...told.keys()].sort((a, b) => a - b)).toEqual(committed);
      const total = committed.reduce((sum, i) => sum + 1 + (i % 3), 0);
      expect(await indexesOf('acme')).toEqual(Array.from({ length: total }, (_, i) => i));
      // Each transaction was told where its own rows went.
      const rows = await store.query<{ receipt_id: string; log_index: number }>("SELECT receipt_id, log_index FROM ledger_entries WHERE tenant_id = 'acme'");
      for (const row of rows) {
        const [, i, k] = row.receipt_id.split('-').map(Number);
        expect(Number(row.log_index)).toBe(told.get(i!)! + k!);
      }
      // Counting on from what is stored, in a later transaction.
      let next = -1;
      await store.transaction((tx) => tx.insertNumbered('ledger_entries', [ledgerRow('r-later')], numbering('acme'), (first) => (next = first)));
      expect(next).toBe(total);
    });

    it('never lets two transactions numbering by the same sequences wait for each other for ever: one waits or fails with STATE_CONFLICT', async () => {
      let finish!: () => void;
      const held = new Promise<void>((resolve) => (finish = resolve));
      let numbered!: () => void;
      const hasNumbered = new Promise<void>((resolve) => (numbered = resolve));
      const first = store.transaction(async (tx) => {
        await tx.insertNumbered('ledger_entries', [ledgerRow('one-a', 'one')], numbering('one'), () => undefined);
        numbered();
        await held;
      });
      await hasNumbered;
      const second = store.transaction(async (tx) => {
        await tx.insertNumbered('ledger_entries', [ledgerRow('two-b', 'two')], numbering('two'), () => undefined);
        await tx.insertNumbered('ledger_entries', [ledgerRow('one-b', 'one')], numbering('one'), () => undefined);
      }, { alone: true });
      const settled = await Promise.race([second.then(() => 'committed', (e: unknown) => (e as DomainError).code), new Promise((resolve) => setTimeout(resolve, 5_000, 'waited'))]);
      expect(['committed', 'STATE_CONFLICT']).toContain(settled);
      finish();
      await first;
      for (const tenant of ['one', 'two']) {
        const indexes = await indexesOf(tenant);
        expect(indexes).toEqual(indexes.map((_, i) => i));
      }
    });

    it('lets exactly one of many racing compare-and-sets win', async () => {
      await store.transaction((tx) => tx.insert('approval_requests', [request('r-1')]));
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.transaction((tx) =>
        tx.compareAndSet('approval_requests', { tenant_id: 'acme', request_id: 'r-1' }, { requested_by: 'ana' }, { requested_by: `writer-${i}` }))));
      const won = outcomes.filter((o) => o.status === 'fulfilled' && o.value === true).length;
      expect(won).toBe(1);
      for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as DomainError).code).toBe('STATE_CONFLICT');
    });

    it('keeps values exact: timestamps to the millisecond, decimals digit for digit, NULLs, large integers', async () => {
      const at = new Date('2026-11-30T23:59:59.123Z');
      await store.transaction((tx) => tx.insert('invoices', [{
        tenant_id: 'acme', invoice_id: 'inv-1', customer_tenant: 'globex', period_start: at, currency: 'EUR', total: '1234567890123456789012345678.0123456789',
        sha256: 'ab', artifact_json: '{}', artifact_csv: '', revision: 9_007_199_254_740_991, generated_at: at,
      }]));
      await store.transaction((tx) => tx.insert('evidence', [{
        tenant_id: 'acme', evidence_id: 'ev-1', bundle_id: 'b-1', receipt_id: null, kind: 'file', name: 'x', sha256: 'ab', size_bytes: null, content: null,
        attach_receipt_id: 'r', attached_by: 'ana', attached_at: at, status: 'attached',
      }]));
      const [invoice] = await store.query('SELECT total, period_start, revision FROM invoices');
      expect(invoice).toEqual({ total: '1234567890123456789012345678.0123456789', period_start: at, revision: 9_007_199_254_740_991 });
      const [evidence] = await store.query('SELECT receipt_id, size_bytes FROM evidence');
      expect(evidence).toEqual({ receipt_id: null, size_bytes: null });
    });

    it('writes text exactly as given, quotes and statement separators included, alone and in concurrent transactions', async () => {
      const texts = [
        "O'Brien", "''", "'); DROP TABLE approval_requests; --", 'a;b\nc\\d', '{"note": "it\'s \\"quoted\\""}', 'zoë ☃ 😀', '   ',
      ];
      await Promise.all(texts.map((text, i) => store.transaction((tx) => tx.insert('approval_requests', [{ ...request(`r-${i}`), requested_by: text }]))));
      await store.transaction((tx) => tx.insertNew('approval_requests', [{ ...request('r-new'), requested_by: texts[2]! }]));
      const rows = await store.query<{ request_id: string; requested_by: string }>('SELECT request_id, requested_by FROM approval_requests');
      const byId = new Map(rows.map((row) => [row.request_id, row.requested_by]));
      expect(texts.map((_, i) => byId.get(`r-${i}`))).toEqual(texts);
      expect(byId.get('r-new')).toBe(texts[2]);
    });

    it('refuses a value its column cannot hold — never stores NULL or a guess — and keeps the others of a group', async () => {
      const invoice = (id: string, total: string) => ({
        tenant_id: 'acme', invoice_id: id, customer_tenant: 'globex', period_start: new Date(), currency: 'EUR', total,
        sha256: 'ab', artifact_json: '{}', artifact_csv: '', revision: 1, generated_at: new Date(),
      });
      const outcomes = await Promise.allSettled([
        store.transaction((tx) => tx.insert('invoices', [invoice('inv-good', '10.50')])),
        store.transaction((tx) => tx.insert('invoices', [invoice('inv-bad', 'ten euros')])),
        store.transaction((tx) => tx.insert('approval_requests', [{ ...request('r-bad'), requested_at: 'yesterday' }])),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).not.toBeInstanceOf(DomainError);
      expect(await store.query('SELECT invoice_id, total FROM invoices')).toEqual([{ invoice_id: 'inv-good', total: '10.5000000000' }]);
      expect(await store.query('SELECT request_id FROM approval_requests')).toEqual([]);
    });

    it('commits a transaction asked to go alone at once, while grouped ones are still open, and still refuses a taken key', async () => {
      let finish!: () => void;
      const held = new Promise<void>((resolve) => (finish = resolve));
      // More open transactions than any adapter runs groups at once: a transaction that joined the queue would wait for them.
      const open = Array.from({ length: 8 }, (_, i) => store.transaction(async (tx) => {
        await tx.insert('approval_requests', [request(`r-held-${i}`)]);
        await held;
      }));
      const alone = store.transaction((tx) => tx.insert('approval_requests', [request('r-alone')]), { alone: true });
      const first = await Promise.race([alone.then(() => 'alone'), new Promise((resolve) => setTimeout(resolve, 5_000, 'timed out'))]);
      finish();
      await Promise.all(open);
      expect(first).toBe('alone');
      expect(await conflictOf(store.transaction((tx) => tx.insert('approval_requests', [request('r-alone')]), { alone: true }))).toBe('STATE_CONFLICT');
      expect(await store.query('SELECT count(*)::INTEGER AS n FROM approval_requests')).toEqual([{ n: 9 }]);
    });

    it('writes only operational tables, and refuses use after close', async () => {
      await expect(store.transaction((tx) => tx.insert('events', [{ tenant_id: 'acme' }]))).rejects.toThrow('not operational state');
      await store.close();
      await expect(store.query('SELECT 1 AS one')).rejects.toThrow('closed');
    });
  });
}
