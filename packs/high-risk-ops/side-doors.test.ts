import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { useApi } from '../../test/support/api.ts';

const PLATFORM = 'summit-internal';

describe.each(TEST_ENGINES)('High-Risk Ops: no side doors on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  it('refuses a direct key rotation or policy activation, records each attempt as a policy violation, and the leadership page counts it at once', async () => {
    const [ops, reader, lead] = await Promise.all([
      server.api.principal('ops', PLATFORM, 'operator'), server.api.principal('rae', PLATFORM, 'reader'), server.api.principal('lead', PLATFORM, 'admin'),
    ]);
    const post = (token: string, url: string) => server.api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` } });
    const sideDoors = async () => {
      const page = await server.api.app.inject({ method: 'GET', url: '/reports/summit-as-a-customer', headers: { authorization: `Bearer ${lead}` } });
      expect(page.statusCode).toBe(200);
      // Every query of the page over the events ran on this engine (only stg_events is built here, not the SLO and FinOps models).
      const failed = [...page.body.matchAll(/query (\w+) failed/g)].map((m) => m[1]);
      expect(failed).toEqual(['slo', 'cogs', 'skus']);
      return Number(/data-column="side_door_attempts" data-value="(\d+)"/.exec(page.body)?.[1]);
    };
    // The page reads the staging view the models build.
    const built = await server.api.app.inject({ method: 'POST', url: '/v1/transforms/build', headers: { authorization: `Bearer ${lead}` }, payload: { select: ['stg_events'] } });
    expect(built.statusCode, built.body).toBe(200);
    expect(await sideDoors()).toBe(0);
    const keyBefore = server.api.app.ledgerStore.keyring.active.keyId;
    const revisionBefore = server.api.app.platform.engine.revision;

    const direct = await post(ops, '/v1/ledger/keys/rotate');
    expect(direct.statusCode).toBe(403);
    expect(direct.json().code).toBe('WORKFLOW_REQUIRED');
    expect(direct.json().message).toMatch(/runs only as a governed ledger-key-rotation run: request one \(`companyos workflow request ledger-key-rotation`/);
    expect((await post(ops, '/v1/policy/bundle/activate')).json().code).toBe('WORKFLOW_REQUIRED');
    // One without even the right to request a run is refused by Cedar first, and recorded too.
    expect((await post(reader, '/v1/ledger/keys/rotate')).json().code).toBe('POLICY_DENIED');

    expect(server.api.app.ledgerStore.keyring.active.keyId).toBe(keyBefore);
    expect(server.api.app.platform.engine.revision).toBe(revisionBefore);
    const violations = (await server.api.app.inject({ method: 'GET', url: '/v1/events?type=companyos.policy.violation&limit=10', headers: { authorization: `Bearer ${lead}` } })).json().events;
    expect(violations.map((e: { data: { action: string } }) => e.data.action).sort()).toEqual(['ledger.rotate_key', 'policy.activate', 'request_workflow']);
    expect(violations.find((e: { data: { action: string } }) => e.data.action === 'ledger.rotate_key').data).toMatchObject({ principal: `${PLATFORM}/ops`, governed_by: 'ledger-key-rotation', channel: 'http' });
    expect(await sideDoors()).toBe(3);
  });
});
