import { describe, expect, it } from 'vitest';
import { TenantScope, stateSource } from '../../../platform/tenancy/index.ts';
import { useStateStore } from '../../../test/support/state.ts';
import { LeadIntake } from './lead-intake.ts';
import { LEAD_TABLES } from './lead-tables.ts';

const AT = new Date('2026-11-30T10:00:00.000Z');

describe('lead intake, matching against what it keeps of a tenant', () => {
  const store = useStateStore(LEAD_TABLES);
  const intake = () => new LeadIntake({ state: store.state, stateScope: (tenant) => new TenantScope(stateSource(store.state), tenant), emit: async () => undefined, now: () => AT });
  const lead = (id: string, first: string, last: string, email: string) => ({ id, source: 'web_form' as const, first_name: first, last_name: last, company: 'Initech', email });

  it('links a duplicate of a lead another process took meanwhile, and of its own earlier ones, per tenant', async () => {
    const [here, there] = [intake(), intake()];
    await here.take('acme', [lead('a-1', 'Ana', 'Ortiz', 'ana.ortiz@initech.example')], 'test');
    // Another replica on the same store takes a lead this one has not seen.
    await there.take('acme', [lead('b-1', 'Bruno', 'Keller', 'bruno.keller@initech.example')], 'test');
    const [ofThere, ofHere, otherTenant] = [
      ...(await here.take('acme', [lead('b-2', 'Bruno', 'Keller', 'BRUNO.KELLER@initech.example'), lead('a-2', 'Ana', 'Ortiz', 'ana.ortiz+demo@initech.example')], 'test')),
      ...(await here.take('globex', [lead('g-1', 'Ana', 'Ortiz', 'ana.ortiz@initech.example')], 'test')),
    ];
    expect(ofThere).toMatchObject({ status: 'duplicate', duplicateOf: 'b-1' });
    expect(ofHere).toMatchObject({ status: 'duplicate', duplicateOf: 'a-1' });
    expect(otherTenant).toMatchObject({ status: 'new', duplicateOf: null });
    // And the kept index goes on from there: a third lead of this process, then a duplicate of it.
    await here.take('acme', [lead('c-1', 'Chloé', 'Dubois', 'chloe.dubois@initech.example')], 'test');
    const [again] = await here.take('acme', [lead('c-2', 'Chloe', 'Dubois', 'chloe.dubois@initech.example')], 'test');
    expect(again).toMatchObject({ status: 'duplicate', duplicateOf: 'c-1' });
  });
});
