import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { killAllCliProcesses, startPlatform } from './support/cli.ts';
import { engineHarness, engineUnavailable, TEST_ENGINES } from './support/engines.ts';

/**
 * A receipt cites the decision that allowed its action: after a SIGKILL, every
 * decision id carried by a committed receipt is still in the decision log.
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
      // One more on its own, killed the moment its answer arrives: no batch timer gets a chance to flush it.
      const last = await call(first.url, first.token, 'POST', '/v1/entities', { type: 'Asset', name: 'the-last-one' });
      expect(last.status).toBe(201);
      receiptIds.push(((await last.json()) as { receipt_id: string }).receipt_id);
      await first.stop('SIGKILL');

      const second = await startPlatform(harness.dataDir, ['--no-seed'], { env: harness.env });
      const cited: string[] = [];
      for (const id of receiptIds) {
        const response = await call(second.url, second.token, 'GET', `/v1/provenance/receipts/${id}`);
        expect(response.status, `receipt ${id}`).toBe(200);
        const { envelope } = (await response.json()) as { envelope: { payload: string } };
        const statement = Buffer.from(envelope.payload, 'base64').toString('utf8');
        cited.push(/"decisionId":"([^"]+)"/.exec(statement)![1]!);
      }
      const logged = (await (await call(second.url, second.token, 'GET', '/v1/policy/decisions?decision=allow&action=create&limit=1000')).json()) as {
        decisions: { decision_id: string }[];
      };
      const found = new Set(logged.decisions.map((d) => d.decision_id));
      expect(cited.filter((id) => !found.has(id))).toEqual([]);
      await second.stop();
    });
  }
});
