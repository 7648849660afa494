import { afterEach, describe, expect, it } from 'vitest';
import { Keyring, LEDGER_KEY_NAME } from '../../../kernel/ledger/index.ts';
import { LedgerStore } from '../../../platform/governance/index.ts';
import { TenantScope, stateSource } from '../../../platform/tenancy/index.ts';
import { useStateStore } from '../../../test/support/state.ts';
import { LeadIntake } from '../leads/lead-intake.ts';
import { LEAD_TABLES } from '../leads/lead-tables.ts';
import { LeadRouter } from './lead-router.ts';
import { ROUTING_TABLES } from './routing-tables.ts';

const POLICY = { pools: { na: { strategy: 'round-robin', members: [{ id: 'eve' }, { id: 'fay' }] } }, rules: [{ id: 'default', pool: 'na' }] };
const AT = new Date('2026-11-30T10:00:00.000Z');

describe('the lead router', () => {
  const store = useStateStore([...LEAD_TABLES, ...ROUTING_TABLES]);
  let ledger: LedgerStore | undefined;
  afterEach(() => ledger?.close());

  it('appends the receipts a failed append left owed at the next routing, and never routes a lead twice', async () => {
    ledger = new LedgerStore(store.state, Keyring.inMemory(LEDGER_KEY_NAME));
    const router = new LeadRouter({ state: store.state, stateScope: (tenant) => new TenantScope(stateSource(store.state), tenant), ledger, emit: async () => undefined });
    await router.publish('acme', POLICY, 'test', AT);

    const append = ledger.append.bind(ledger);
    ledger.append = () => Promise.reject(new Error('the ledger is unwritable'));
    await expect(router.route('acme', [{ id: 'a', attributes: {} }, { id: 'b', attributes: {} }], AT)).rejects.toThrow('unwritable');
    expect((await router.routings('acme', ['a', 'b'])).map((r) => r.assignee).sort()).toEqual(['eve', 'fay']);
    expect(await ledger.entries('acme', ['route-a', 'route-b'])).toEqual([]);

    ledger.append = append;
    const routed = await router.route('acme', [{ id: 'a', attributes: {} }, { id: 'c', attributes: {} }], AT);
    expect([...routed.keys()].sort()).toEqual(['a', 'c']);
    expect((await ledger.entries('acme', ['route-a', 'route-b', 'route-c'])).map((e) => e.receiptId).sort()).toEqual(['route-a', 'route-b', 'route-c']);
    const [count] = await store.state.query<{ n: number }>("SELECT count(*) AS n FROM revops_routings WHERE tenant_id = 'acme'");
    expect(Number(count!.n)).toBe(3);
  });

  it('has the sweep append every tenant\'s owed routing receipts, for a tenant that routes nothing more too, once', async () => {
    ledger = new LedgerStore(store.state, Keyring.inMemory(LEDGER_KEY_NAME));
    const router = new LeadRouter({ state: store.state, stateScope: (tenant) => new TenantScope(stateSource(store.state), tenant), ledger, emit: async () => undefined });
    for (const tenant of ['acme', 'globex']) await router.publish(tenant, POLICY, 'test', AT);
    const append = ledger.append.bind(ledger);
    ledger.append = () => Promise.reject(new Error('the ledger is unwritable'));
    for (const tenant of ['acme', 'globex']) await expect(router.route(tenant, [{ id: `${tenant}-1`, attributes: {} }], AT)).rejects.toThrow('unwritable');
    ledger.append = append;

    expect(await router.settleOwed()).toBe(2);
    expect((await ledger.entries('acme', ['route-acme-1', 'route-globex-1'])).map((e) => e.receiptId)).toEqual(['route-acme-1']);
    expect((await ledger.entries('globex', ['route-acme-1', 'route-globex-1'])).map((e) => e.receiptId)).toEqual(['route-globex-1']);
    expect(await router.settleOwed()).toBe(0);
  });

  it('routes a lead sent again whose first intake stored it but was cut short before routing it, and only once', async () => {
    ledger = new LedgerStore(store.state, Keyring.inMemory(LEDGER_KEY_NAME));
    const router = new LeadRouter({ state: store.state, stateScope: (tenant) => new TenantScope(stateSource(store.state), tenant), ledger, emit: async () => undefined });
    const intake = new LeadIntake({ state: store.state, stateScope: (tenant) => new TenantScope(stateSource(store.state), tenant), emit: async () => undefined, router, now: () => AT });
    await router.publish('acme', POLICY, 'test', AT);
    const lead = { id: 'l-1', source: 'web_form' as const, email: 'ana@initech.example', first_name: 'Ana', last_name: 'Ortiz', company: 'Initech' };

    const route = router.route.bind(router);
    router.route = () => Promise.reject(new Error('the process died here'));
    await expect(intake.take('acme', [lead], 'test')).rejects.toThrow('died');
    expect(await router.routings('acme', ['l-1'])).toEqual([]);
    router.route = route;

    const [again] = await intake.take('acme', [lead], 'test');
    expect(again).toMatchObject({ id: 'l-1', status: 'new', replayed: true, routing: { assignee: expect.any(String), receiptId: 'route-l-1' } });
    const [third] = await intake.take('acme', [lead], 'test');
    expect(third!.routing).toMatchObject({ assignee: again!.routing!.assignee });
    const [count] = await store.state.query<{ n: number }>("SELECT count(*) AS n FROM revops_routings WHERE tenant_id = 'acme'");
    expect(Number(count!.n)).toBe(1);
  });

  it('routes a tenant by its own policy only, and answers its own routings only', async () => {
    ledger = new LedgerStore(store.state, Keyring.inMemory(LEDGER_KEY_NAME));
    const router = new LeadRouter({ state: store.state, stateScope: (tenant) => new TenantScope(stateSource(store.state), tenant), ledger, emit: async () => undefined });
    await router.publish('acme', POLICY, 'test', AT);
    expect((await router.route('globex', [{ id: 'g', attributes: {} }], AT)).size).toBe(0);
    await router.route('acme', [{ id: 'g', attributes: {} }], AT);
    expect(await router.routings('globex', ['g'])).toEqual([]);
    expect(await router.activePolicy('globex')).toBeUndefined();
  });
});
