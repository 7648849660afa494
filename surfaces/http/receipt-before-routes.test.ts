import { describe, expect, it } from 'vitest';
import { BuildGate } from '../../platform/transforms/index.ts';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';

/**
 * Issue 15, item 9, on the real routes receipted before they act: a build, an invoice run and a
 * true-costs record refused for a reason of their own (busy, nothing to do, unknown selector,
 * models not built) answer 4xx and leave no receipt; a call that acts leaves exactly one.
 */
describe.each(TEST_ENGINES)('Before-receipted routes on %s', (engine) => {
  const db = useWarehouse(engine);
  const builds = new BuildGate();
  const served = useApi(db, { transforms: { modelsDir: 'models', targetDir: 'target/test-receipt-before', operatorTenant: 'summit-internal', gate: builds } });
  const ledgerSize = async () => Number((await served.api.app.platform.state.query<{ n: number }>('SELECT count(*) AS n FROM ledger_entries'))[0]!.n);

  it('refuse what they would not do before the receipt', { timeout: 120_000 }, async () => {
    const operator = await served.api.token('summit-internal', 'operator');
    const call = (method: 'POST', url: string, payload?: object) =>
      served.api.app.inject({ method, url, headers: { authorization: `Bearer ${operator}` }, ...(payload ? { payload } : {}) });
    const before = await ledgerSize();

    const refused: [string, Awaited<ReturnType<typeof call>>, number][] = [
      ['unknown selector', await call('POST', '/v1/transforms/build', { select: ['no_such_model'] }), 400],
      ['invoices before attribution is built', await call('POST', '/v1/finops/invoices:generate?period=2026-10'), 409],
      ['no true costs', await call('POST', '/v1/finops/simulations/true-costs', { simulation_id: 's1', rows: [] }), 400],
    ];
    const slot = await builds.reserve();
    refused.push(['a build already running', await call('POST', '/v1/transforms/build', { mode: 'seed' }), 409]);
    await slot.release();
    for (const [what, response, status] of refused) {
      expect(response.statusCode, `${what}: ${response.body}`).toBe(status);
      expect(response.headers['x-companyos-receipt'], what).toBeUndefined();
    }
    expect(await ledgerSize()).toBe(before);

    // The slot is free again and a build that acts has its one receipt.
    const seeded = await call('POST', '/v1/transforms/build', { mode: 'seed' });
    expect(seeded.statusCode, seeded.body).toBe(200);
    expect(seeded.headers['x-companyos-receipt']).toMatch(/^rcpt-/);
    expect(await ledgerSize()).toBe(before + 1);
    expect(builds.busy).toBe(false);

    // Built, but a month with no charges: nothing to invoice, no receipt.
    const built = await call('POST', '/v1/transforms/build', { select: ['+tag:finops'] });
    expect(built.statusCode, built.body).toBe(200);
    const empty = await call('POST', '/v1/finops/invoices:generate?period=1999-01');
    expect(empty.statusCode, empty.body).toBe(409);
    expect(empty.json().code).toBe('NOTHING_TO_INVOICE');
    expect(await ledgerSize()).toBe(before + 2);
  });
});
