import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { DecisionLog, type DecisionRecord } from './decision-log.ts';

const decision = (n: number, tenant: string): DecisionRecord => ({
  decision_id: `d-${tenant}-${n}`, timestamp: new Date().toISOString(), path: 'cedar/CompanyOS/read',
  input: { principal: `${tenant}/ana`, action: 'read', resource: 'Resource/r-1', context: {} },
  result: { decision: 'allow', reasons: ['p1'], errors: [] }, bundles: { companyos: { revision: 'r1' } },
  erased: [], masked: [], trace_id: `t-${n}`, tenant, resource_tenant: tenant, method: 'GET', route: '/v1/entities/:id',
});

describe.each(TEST_ENGINES)('decision log on %s', (engine) => {
  const db = useWarehouse(engine);

  it('writes a steady stream of decisions as one insert per batch window, and a reader sees every one', async () => {
    const log = new DecisionLog(db.warehouse, { error: () => undefined });
    onTestFinished(() => log.close());
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
});
