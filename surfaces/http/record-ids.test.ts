import { describe, expect, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { useWarehouse } from '../../test/support/engines.ts';

/** RFC 9562 version 7 (time-ordered), variant 10. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The ids the platform makes for the records it keeps are time-ordered (kernel/ids): made one after another, they sort
 * in that order, so the state tables' unique indexes grow at their end and a DuckDB checkpoint rewrites only that end.
 */
describe('ids of stored records', () => {
  const db = useWarehouse('duckdb');
  const server = useApi(db);

  it('sort in the order the records were made: entities, receipts, approval requests and workflow runs', async () => {
    const { api } = server;
    const operator = await api.principal('ana', 'acme', 'operator');
    const call = (method: 'POST' | 'DELETE', url: string, payload?: object) =>
      api.app.inject({ method, url, headers: { authorization: `Bearer ${operator}` }, ...(payload ? { payload } : {}) });
    const made = { entity: [] as string[], receipt: [] as string[], request: [] as string[], run: [] as string[] };
    for (let k = 0; k < 12; k++) {
      const created = await call('POST', '/v1/entities', { type: 'Asset', name: `asset ${k}` });
      expect(created.statusCode, created.body).toBe(201);
      made.entity.push(created.json().id);
      made.receipt.push(created.json().receipt_id.replace(/^rcpt-/, ''));
      const deletion = await call('DELETE', `/v1/entities/${created.json().id}`);
      expect(deletion.statusCode, deletion.body).toBe(202);
      made.request.push(deletion.json().approval_request_id);
      const run = await call('POST', '/v1/workflows/types/temporary-access/runs', {
        rationale: { category: 'support', text: `access for the on-call engineer #${k}` },
        params: { grantee: `oncall-${k}`, role: 'reader', duration_minutes: 30 },
      });
      expect(run.statusCode, run.body).toBe(201);
      made.run.push(run.json().run_id);
      // Across milliseconds as well as within one.
      if (k % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    for (const ids of Object.values(made)) {
      for (const id of ids) expect(id).toMatch(UUID_V7);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(ids);
    }
  });
});
