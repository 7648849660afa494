import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { killAllCliProcesses, startPlatform } from './support/cli.ts';
import { engineHarness, engineUnavailable, TEST_ENGINES } from './support/engines.ts';

/**
 * A receipt cites the decision that allowed its action: after a SIGKILL, every
 * decision id carried by a committed receipt is still in the decision log, and
 * every committed workflow transition is metered once.
 */

afterEach(() => killAllCliProcesses());

describe('the decision log survives SIGKILL like receipts do', () => {
  for (const engine of TEST_ENGINES) {
    it.runIf(!engineUnavailable(engine))(`${engine}: every decision a committed receipt cites is found after kill -9 and restart`, { timeout: 120_000 }, async () => {
      const harness = await engineHarness(engine);
      onTestFinished(() => harness.cleanup());
      const first = await startPlatform(harness.dataDir, ['--no-seed'], { env: harness.env });
      const call = (url: string, token: string, method: string, path: string, body?: unknown) =>
        fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });

      const created = await Promise.all(
        Array.from({ length: 24 }, (_, i) => call(first.url, first.token, 'POST', '/v1/entities', { type: 'Asset', name: `asset-${i}` })),
      );
      const receiptIds: string[] = [];
      for (const response of created) {
        expect(response.status).toBe(201);
        receiptIds.push(((await response.json()) as { receipt_id: string }).receipt_id);
      }
      const runRequest = (i: number) => call(first.url, first.token, 'POST', '/v1/workflows/types/temporary-access/runs', {
        rationale: { category: 'support', text: `on-call needs read access, page ${i}` }, params: { grantee: `oncall-${i}`, role: 'reader', duration_minutes: 30 },
      });
      const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => runRequest(i)));
      // One more of each on its own, killed the moment their answers arrive: no batch timer gets a chance to flush them.
      const [last, lastRun] = await Promise.all([call(first.url, first.token, 'POST', '/v1/entities', { type: 'Asset', name: 'the-last-one' }), runRequest(8)]);
      expect(last.status).toBe(201);
      await first.stop('SIGKILL');
      receiptIds.push(((await last.json()) as { receipt_id: string }).receipt_id);
      // Each transition is metered as an event whose id is its receipt's: the ones a kill took from their batch are sent again at start.
      const transitionReceipts: string[] = [];
      for (const response of [...runs, lastRun]) {
        const body = await response.text();
        expect(response.status, body.slice(0, 300)).toBe(201);
        transitionReceipts.push(...(JSON.parse(body) as { transitions: { receipt_id: string }[] }).transitions.map((t) => t.receipt_id));
      }
      expect(transitionReceipts).toHaveLength(18);

      const second = await startPlatform(harness.dataDir, ['--no-seed'], { env: harness.env });
      // Read the moment the platform answers: what a start restores is in what its first readers get.
      const [logged, metered] = (await Promise.all([
        call(second.url, second.token, 'GET', '/v1/policy/decisions?decision=allow&action=create&limit=1000').then((r) => r.json()),
        call(second.url, second.token, 'GET', '/v1/events?type=companyos.workflow.transition&limit=1000').then((r) => r.json()),
      ])) as [{ decisions: { decision_id: string }[] }, { events: { id: string }[] }];
      const cited: string[] = [];
      for (const id of receiptIds) {
        const response = await call(second.url, second.token, 'GET', `/v1/provenance/receipts/${id}`);
        expect(response.status, `receipt ${id}`).toBe(200);
        const { envelope } = (await response.json()) as { envelope: { payload: string } };
        const statement = Buffer.from(envelope.payload, 'base64').toString('utf8');
        cited.push(/"decisionId":"([^"]+)"/.exec(statement)![1]!);
      }
      const found = new Set(logged.decisions.map((d) => d.decision_id));
      expect(cited.filter((id) => !found.has(id))).toEqual([]);
      const ids = new Set(metered.events.map((event) => event.id));
      expect(transitionReceipts.filter((id) => !ids.has(id))).toEqual([]);
      expect(metered.events).toHaveLength(transitionReceipts.length);
      await second.stop();
      // Stored once each, not only read once (ClickHouse reads through FINAL): the rows themselves, once the platform is stopped.
      const warehouse = await harness.open();
      try {
        const [stored] = await warehouse.query<{ n: number }>("SELECT count(*) AS n FROM events WHERE type = 'companyos.workflow.transition'");
        expect(Number(stored!.n)).toBe(transitionReceipts.length);
      } finally {
        await warehouse.close();
      }
    });
  }
});
