import { describe, expect, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { useApi } from '../../../test/support/api.ts';
import { generateLeads } from '../../../test/support/lead-set.ts';

const jane = { source: 'web_form', email: 'Jane.Doe@acme.io', phone: '(415) 555-0134', first_name: 'Jane', last_name: 'Doe', company: 'Acme, Inc.', country: 'US' };

describe.each(TEST_ENGINES)('RevOps lead intake on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);
  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  const ingested = async (tenant: string) =>
    Number((await db.warehouse.query<{ n: number }>("SELECT count(*) AS n FROM events WHERE type = 'revops.leads_ingested_total' AND tenant_id = ?", [tenant]))[0]!.n);

  it('normalizes each lead, links duplicates, parks spam with a disposition, receipts the call and counts every lead', async () => {
    const writer = await server.api.principal('forms', 'acme', 'writer');
    const first = await call(writer, 'POST', '/v1/revops/leads', { id: 'form-1', ...jane });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().leads).toEqual([expect.objectContaining({
      id: 'form-1', status: 'new', email: 'jane.doe@acme.io', phone: '+14155550134', domain: 'acme.io', company: 'Acme, Inc.', duplicate_of: null, replayed: false,
    })]);
    expect(first.json().receipt_id).toMatch(/^rcpt-/);

    const batch = await call(writer, 'POST', '/v1/revops/leads:batch', { leads: [
      { id: 'mail-1', source: 'email', email: 'jane.doe+pricing@ACME.io' },
      { id: 'ref-1', source: 'partner_referral', origin: 'partner-17', phone: '415.555.0134', first_name: 'jane', last_name: 'DOE' },
      { id: 'form-2', source: 'web_form', email: 'raj@globex.com', first_name: 'Raj', last_name: 'Patel', company: 'Globex GmbH' },
      { id: 'form-3', source: 'web_form', email: 'r.patel@globex.com', first_name: 'Raj', last_name: 'Patel', company: 'Globex' },
      { id: 'junk-1', source: 'web_form', email: 'win@mailinator.com' },
      { id: 'junk-2', source: 'web_form', email: 'bot@example.org', honeypot: 'http://pills.example' },
      { id: 'bad-1', source: 'email', email: 'nobody@nowhere.io', phone: '12' },
    ] });
    expect(batch.statusCode, batch.body).toBe(201);
    expect(batch.json().leads.map((l: Record<string, unknown>) => [l.id, l.status, l.duplicate_of, l.match_rule ?? l.disposition, l.problems])).toEqual([
      ['mail-1', 'duplicate', 'form-1', 'email', []],
      ['ref-1', 'duplicate', 'form-1', 'phone-and-name', []],
      ['form-2', 'new', null, null, []],
      ['form-3', 'duplicate', 'form-2', 'name-and-company', []],
      ['junk-1', 'parked', null, 'disposable-domain', []],
      ['junk-2', 'parked', null, 'honeypot', []],
      ['bad-1', 'new', null, null, ['phone-invalid']],
    ]);

    // Sent again (a retry): the lead as it was, nothing added, nothing counted twice.
    const again = await call(writer, 'POST', '/v1/revops/leads', { id: 'form-1', ...jane, first_name: 'Janet' });
    expect(again.json().leads[0]).toMatchObject({ id: 'form-1', status: 'new', first_name: 'Jane', replayed: true });
    expect((await call(writer, 'GET', '/v1/revops/leads?limit=1000')).json().leads).toHaveLength(8);
    expect(await ingested('acme')).toBe(8);

    const receipt = await call(writer, 'GET', `/v1/provenance/receipts/${first.json().receipt_id}`);
    expect(receipt.statusCode).toBe(200);
  });

  it('takes 10,000 leads in batches of 1,000: seeded near-duplicates linked (recall ≥ 0.95, precision ≥ 0.98), every spam lead parked, every lead counted', async () => {
    const writer = await server.api.principal('import', 'acme', 'writer');
    const leads = generateLeads(10_000);
    const judged = new Map<string, { status: string; duplicate_of: string | null }>();
    for (let i = 0; i < leads.length; i += 1_000) {
      const batch = leads.slice(i, i + 1_000).map(({ truth: _truth, ...lead }) => ({ ...lead, source: 'partner_referral' }));
      const reply = await call(writer, 'POST', '/v1/revops/leads:batch', { leads: batch });
      expect(reply.statusCode, reply.body.slice(0, 300)).toBe(201);
      for (const lead of reply.json().leads) judged.set(lead.id, lead);
    }
    let [found, wrong, missed] = [0, 0, 0];
    for (const lead of leads) {
      const { status, duplicate_of: of } = judged.get(lead.id)!;
      if (lead.truth === 'spam') expect(status, lead.id).toBe('parked');
      else if (status === 'duplicate' && of === lead.truth) found++;
      else if (status === 'duplicate') wrong++;
      else if (lead.truth) missed++;
    }
    expect(found / (found + missed)).toBeGreaterThanOrEqual(0.95);
    expect(found / (found + wrong)).toBeGreaterThanOrEqual(0.98);
    expect(await ingested('acme')).toBe(10_000);
  });

  it('parks web-form leads past the rate of their origin in their tenant, and no other source', async () => {
    const [writer, otherWriter] = await Promise.all([server.api.principal('forms', 'acme', 'writer'), server.api.principal('forms', 'globex', 'writer')]);
    // Another tenant's leads from the same address first: they count in its tenant only.
    const elsewhere = Array.from({ length: 11 }, (_, i) => ({ source: 'web_form', origin: '203.0.113.9', email: `someone${i}@corp${i}.io` }));
    const theirs = (await call(otherWriter, 'POST', '/v1/revops/leads:batch', { leads: elsewhere })).json().leads;
    expect(theirs.map((l: { disposition: string | null }) => l.disposition)).toEqual([...Array(10).fill(null), 'rate-limited']);
    const leads = Array.from({ length: 12 }, (_, i) => ({ source: 'web_form', origin: '203.0.113.9', email: `person${i}@firm${i}.io` }));
    const taken = (await call(writer, 'POST', '/v1/revops/leads:batch', { leads })).json().leads;
    expect(taken.map((l: { disposition: string | null }) => l.disposition)).toEqual([...Array(10).fill(null), 'rate-limited', 'rate-limited']);
    const partner = leads.map((l, i) => ({ ...l, source: 'partner_referral', email: `other${i}@firm${i}.io` }));
    expect((await call(writer, 'POST', '/v1/revops/leads:batch', { leads: partner })).json().leads.every((l: { status: string }) => l.status === 'new')).toBe(true);
  });

  it('merges a lead into another once, within the tenant, receipted; refuses what cannot be merged', async () => {
    const [writer, reader, other] = await Promise.all([
      server.api.principal('forms', 'acme', 'writer'), server.api.principal('rae', 'acme', 'reader'), server.api.principal('gil', 'globex', 'admin'),
    ]);
    await call(writer, 'POST', '/v1/revops/leads:batch', { leads: [
      { id: 'a', source: 'email', email: 'kim@hooli.io', first_name: 'Kim', last_name: 'Lee' },
      { id: 'b', source: 'email', email: 'kimberly.lee@gmail.com', first_name: 'Kimberly', last_name: 'Lee' },
      { id: 'spam', source: 'email', email: 'x@yopmail.com' },
    ] });
    expect((await call(reader, 'POST', '/v1/revops/leads/b/merge', { into: 'a' })).statusCode).toBe(403);
    expect((await call(other, 'POST', '/v1/revops/leads/b/merge', { into: 'a' })).json().code).toBe('LEAD_NOT_FOUND');
    expect((await call(writer, 'POST', '/v1/revops/leads/b/merge', { into: 'b' })).json().code).toBe('LEAD_MERGE_INVALID');
    expect((await call(writer, 'POST', '/v1/revops/leads/b/merge', { into: 'spam' })).json().code).toBe('LEAD_MERGE_INVALID');
    const merged = await call(writer, 'POST', '/v1/revops/leads/b/merge', { into: 'a' });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json()).toMatchObject({ id: 'b', status: 'merged', duplicate_of: 'a', receipt_id: expect.stringMatching(/^rcpt-/) });
    const twice = await call(writer, 'POST', '/v1/revops/leads/b/merge', { into: 'a' });
    expect([twice.statusCode, twice.json().code, twice.headers['x-companyos-receipt']]).toEqual([409, 'LEAD_ALREADY_MERGED', undefined]);
    expect((await call(reader, 'GET', '/v1/revops/leads/b')).json()).toMatchObject({ status: 'merged', duplicate_of: 'a' });
    expect((await call(reader, 'GET', '/v1/revops/leads?status=merged')).json().leads.map((l: { id: string }) => l.id)).toEqual(['b']);
  });

  it('keeps tenants apart: no read, merge or duplicate across them', async () => {
    const [acme, globex] = await Promise.all([server.api.principal('forms', 'acme', 'writer'), server.api.principal('forms', 'globex', 'writer')]);
    await call(acme, 'POST', '/v1/revops/leads', { id: 'shared-id', ...jane });
    const theirs = (await call(globex, 'POST', '/v1/revops/leads', { id: 'shared-id', ...jane })).json().leads[0];
    expect(theirs).toMatchObject({ id: 'shared-id', tenant: 'globex', status: 'new', replayed: false });
    expect((await call(globex, 'GET', '/v1/revops/leads')).json().leads.map((l: { tenant: string }) => l.tenant)).toEqual(['globex']);
    expect(await ingested('globex')).toBe(1);
  });

  it('takes one of many racing submissions of the same person as new, the rest as its duplicates', async () => {
    const writer = await server.api.principal('forms', 'acme', 'writer');
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => call(writer, 'POST', '/v1/revops/leads', { id: `race-${i}`, ...jane })));
    const statuses = replies.map((r) => r.json().leads[0].status as string);
    expect(statuses.filter((s) => s === 'new')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(7);
  });

  it('refuses a lead it cannot take with LEAD_INVALID and a sentence, storing nothing', async () => {
    const writer = await server.api.principal('forms', 'acme', 'writer');
    const cases: object[] = [
      { source: 'web_form', first_name: 'No', last_name: 'Contact' },
      { source: 'fax', email: 'a@b.io' },
      { source: 'email', email: 12 },
      { source: 'email', email: 'a@b.io', country: 'USA' },
    ];
    for (const body of cases) {
      const reply = await call(writer, 'POST', '/v1/revops/leads', body);
      expect([reply.statusCode, reply.json().code], JSON.stringify(body)).toEqual([400, 'LEAD_INVALID']);
      expect(reply.json().message.length).toBeGreaterThan(10);
    }
    const tooMany = await call(writer, 'POST', '/v1/revops/leads:batch', { leads: Array.from({ length: 1001 }, (_, i) => ({ source: 'email', email: `p${i}@x.io` })) });
    expect([tooMany.statusCode, tooMany.json().code]).toEqual([400, 'LEAD_INVALID']);
    const twice = await call(writer, 'POST', '/v1/revops/leads:batch', { leads: [{ id: 'x', source: 'email', email: 'a@b.io' }, { id: 'x', source: 'email', email: 'c@d.io' }] });
    expect([twice.statusCode, twice.json().code]).toEqual([400, 'LEAD_INVALID']);
    expect((await call(writer, 'GET', '/v1/revops/leads')).json().leads).toEqual([]);
  });
});
