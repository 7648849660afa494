import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../kernel/errors/index.ts';
import { apiHarness, type ApiHarness } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';

/**
 * Issue 15, item 9, for routes receipted `before` they act (builds, imports, invoice runs): what
 * `ready` refuses (nothing to do, busy) is refused before the receipt, so it leaves none.
 */
describe.each(TEST_ENGINES)('A before-receipted route on %s', (engine) => {
  const db = useWarehouse(engine);
  let api: ApiHarness;
  const done: string[] = [];

  beforeEach(async () => {
    api = await apiHarness(db.warehouse);
    api.app.post<{ Body: { items: string[] } }>(
      '/test/irreversible',
      {
        config: {
          gate: {
            privileged: true,
            action: 'run_transforms',
            receipt: 'before',
            resource: (request) => ({ id: 'test', tenant: request.principal!.tenant, kind: 'Warehouse', data_class: 'internal', region: request.principal!.region }),
            ready: (request) => {
              if ((request.body as { items: string[] }).items.length === 0) throw new DomainError('BAD_REQUEST', 'Nothing to do.');
            },
          },
        },
      },
      async (request) => {
        done.push(...request.body.items);
        return { done: request.body.items.length };
      },
    );
  });
  afterEach(() => api.app.close());

  it('refuses a nothing-to-do call before its receipt; a call that acts has exactly one', async () => {
    const operator = await api.principal('ops', 'acme', 'operator');
    const reader = await api.principal('rita', 'acme', 'reader');
    const send = (token: string, items: string[]) => api.app.inject({ method: 'POST', url: '/test/irreversible', headers: { authorization: `Bearer ${token}` }, payload: { items } });
    const ledger = async () => Number((await api.app.platform.state.query<{ n: number }>('SELECT count(*) AS n FROM ledger_entries'))[0]!.n);

    const empty = await send(operator, []);
    expect([empty.statusCode, empty.json().code]).toEqual([400, 'BAD_REQUEST']);
    expect(empty.headers['x-companyos-receipt']).toBeUndefined();
    // Decided first: a caller without the right is refused by the policy, not told whether there was anything to do.
    expect((await send(reader, [])).json().code).toBe('POLICY_DENIED');
    expect(await ledger()).toBe(0);

    const acted = await send(operator, ['a', 'b']);
    expect(acted.statusCode, acted.body).toBe(200);
    expect(acted.headers['x-companyos-receipt']).toMatch(/^rcpt-/);
    expect(await ledger()).toBe(1);
    expect(done).toEqual(['a', 'b']);
  });
});
