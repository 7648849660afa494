import { beforeEach, describe, expect, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';

describe.each(TEST_ENGINES)('events API on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db, { maxBatchEvents: 10 });
  let acme: string;
  beforeEach(async () => {
    acme = await server.api.token('acme');
  });

  const post = (payload: unknown, options: { token?: string | null; type?: string; raw?: boolean } = {}) =>
    server.api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: {
        'content-type': options.type ?? 'application/json',
        ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? acme}` }),
      },
      payload: options.raw ? (payload as string) : JSON.stringify(payload),
    });
  const get = async (url: string, token = acme) =>
    (await server.api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })).json();
  const storedCount = async () => (await db.warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events'))[0]!.n;

  it('answers the 3-event batch: one new, one repeat, one without tenant', async () => {
    const batch = [cloudEvent({ id: 'a' }), cloudEvent({ id: 'a' }), cloudEvent({ id: 'b', tenantid: undefined })];
    const response = await post(batch, { type: 'application/cloudevents-batch+json' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({
      accepted: 1,
      duplicates: 1,
      rejected: [{ index: 2, id: 'b', code: 'EVENT_MISSING_TENANT', message: expect.any(String) }],
    });
    const page = await get('/v1/events');
    expect(page.events).toEqual([expect.objectContaining({ id: 'a', tenantid: 'acme', data: { value: 1 } })]);
    const parked = await get('/v1/quarantine');
    expect(parked.items).toEqual([expect.objectContaining({ event_id: 'b', reason_code: 'EVENT_MISSING_TENANT' })]);
  });

  it('takes a single event as application/cloudevents+json', async () => {
    const response = await post(cloudEvent(), { type: 'application/cloudevents+json; charset=utf-8' });
    expect(response.json()).toMatchObject({ accepted: 1 });
  });

  it('takes NDJSON, parking a line that is not JSON with its raw text', async () => {
    const body = `${JSON.stringify(cloudEvent({ id: 'n1' }))}\n\n{"id": broken\n${JSON.stringify(cloudEvent({ id: 'n2' }))}\n`;
    const response = await post(body, { type: 'application/x-ndjson', raw: true });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ accepted: 2, rejected: [{ index: 1, code: 'EVENT_NOT_JSON' }] });
    const parked = await get('/v1/quarantine');
    expect(parked.items[0]).toMatchObject({ reason_code: 'EVENT_NOT_JSON', payload: '{"id": broken' });
  });

  it.each([
    ['a non-JSON body', '{"id": oops', 'application/json', 400, 'BODY_NOT_JSON'],
    ['an empty JSON body', '', 'application/json', 400, 'BODY_NOT_JSON'],
    ['JSON that is a number', '42', 'application/json', 400, 'BODY_NOT_EVENTS'],
    ['JSON that is a string', '"event"', 'application/json', 400, 'BODY_NOT_EVENTS'],
    ['an array sent as a single event', '[]', 'application/cloudevents+json', 400, 'BODY_NOT_EVENTS'],
    ['an object sent as a batch', '{}', 'application/cloudevents-batch+json', 400, 'BODY_NOT_EVENTS'],
    ['text/plain', 'hello', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['application/xml', '<event/>', 'application/xml', 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('refuses %s with its code, loses nothing, and keeps serving', async (_what, body, type, status, code) => {
    await post([cloudEvent({ id: 'before' })]);
    const response = await post(body, { type, raw: true });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ code, message: expect.stringMatching(/\w+ \w+/) });
    expect((await post([cloudEvent({ id: 'after' })])).json()).toMatchObject({ accepted: 1 });
    expect(await storedCount()).toBe(2);
  });

  it.each([
    ['missing id', { id: undefined }, 'EVENT_MISSING_ID'],
    ['missing source', { source: undefined }, 'EVENT_MISSING_SOURCE'],
    ['missing type', { type: undefined }, 'EVENT_MISSING_TYPE'],
    ['missing specversion', { specversion: undefined }, 'EVENT_MISSING_SPECVERSION'],
    ['missing tenantid', { tenantid: undefined }, 'EVENT_MISSING_TENANT'],
    ['missing policyversion', { policyversion: undefined }, 'EVENT_MISSING_POLICY_VERSION'],
    ['a time that is not RFC 3339', { time: 'yesterday' }, 'EVENT_INVALID_TIME'],
    ['data over 64 KiB', { data: 'x'.repeat(65 * 1024) }, 'EVENT_DATA_TOO_LARGE'],
  ])('parks an event with %s and stores its valid neighbours', async (_what, overrides, code) => {
    const response = await post([cloudEvent({ id: 'good' }), cloudEvent({ id: 'bad', ...overrides })]);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ accepted: 1, rejected: [{ index: 1, code }] });
    const parked = await get(`/v1/quarantine?reason=${code}`);
    expect(parked.items).toHaveLength(1);
  });

  it('stores injection strings as plain data and finds them only by exact match', async () => {
    const hostile = [
      "x'); DROP TABLE events; --",
      "\\' OR 1=1 --",
      'quote" and `backtick`',
      'nul\u0000byte and new\nline',
      "ünïcødé 🚀 ' ; --",
    ];
    const events = hostile.map((text, i) =>
      cloudEvent({ id: `${text}#${i}`, source: text, type: text, subject: text, flowtype: text, data: { text } }),
    );
    expect((await post(events)).json()).toMatchObject({ accepted: hostile.length, rejected: [] });
    for (const [i, text] of hostile.entries()) {
      const page = await get(`/v1/events?type=${encodeURIComponent(text)}`);
      expect(page.events).toHaveLength(1);
      expect(page.events[0]).toMatchObject({ id: `${text}#${i}`, source: text, type: text, subject: text, flowtype: text, data: { text } });
    }
    expect((await get(`/v1/events?type=${encodeURIComponent("' OR '1'='1")}`)).events).toEqual([]);
    expect((await get(`/v1/quarantine?reason=${encodeURIComponent("x' OR 1=1 --")}`)).items).toEqual([]);
    expect(await storedCount()).toBe(hostile.length);
  });

  it('refuses a batch over the limit with 413 and stores none of it', async () => {
    const batch = Array.from({ length: 11 }, (_, i) => cloudEvent({ id: `e${i}` }));
    const response = await post(batch);
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('BATCH_TOO_LARGE');
    expect(await storedCount()).toBe(0);
  });

  it('refuses a request without a token, with a bad one, and with an expired one', async () => {
    expect((await post([cloudEvent()], { token: null })).json().code).toBe('AUTH_MISSING_TOKEN');
    expect((await post([cloudEvent()], { token: `${acme}x` })).json().code).toBe('AUTH_INVALID_TOKEN');
    const expired = await server.api.tokens.mint({ tenant: 'acme', roles: ['writer'], expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const response = await post([cloudEvent()], { token: expired });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('AUTH_TOKEN_EXPIRED');
    expect(await storedCount()).toBe(0);
  });

  it("refuses writing another tenant's events, unless the token is a platform connector's (grants: ingest-grants.test.ts)", async () => {
    const forGlobex = [cloudEvent({ id: 'mine' }), cloudEvent({ id: 'theirs', tenantid: 'globex' })];
    for (const token of [acme, await server.api.token('acme', 'connector')]) {
      const refused = await post(forGlobex, { token });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'EVENT_TENANT_NOT_GRANTED', reasons: ['cross-tenant-ingest-needs-grant'] });
      expect(refused.json().message).toContain('Event 1 is for tenant "globex"');
    }
    // Nothing of the batch is stored; each refusal is recorded as a policy violation in acme.
    const stored = await db.warehouse.query('SELECT tenant_id, type FROM events');
    expect(stored).toEqual([{ tenant_id: 'acme', type: 'companyos.policy.violation' }, { tenant_id: 'acme', type: 'companyos.policy.violation' }]);
    const platform = await server.api.token('summit-internal', 'connector');
    expect((await post(forGlobex, { token: platform })).json()).toMatchObject({ accepted: 2 });
  });

  it('refuses writes from a read-only token', async () => {
    const response = await post([cloudEvent()], { token: await server.api.token('acme', 'reader') });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: [] });
  });

  it("never shows one tenant another's events, stats or quarantine", async () => {
    const connector = await server.api.token('summit-internal', 'connector');
    await post([cloudEvent({ id: 'a1' }), cloudEvent({ id: 'g1', tenantid: 'globex' }), cloudEvent({ tenantid: 'globex', id: undefined })], {
      token: connector,
    });
    const globex = await server.api.token('globex', 'reader');
    expect((await get('/v1/events', globex)).events.map((e: { id: string }) => e.id)).toEqual(['g1']);
    expect((await get('/v1/events', acme)).events.map((e: { id: string }) => e.id)).toEqual(['a1']);
    expect((await get('/v1/events/stats', globex)).total).toBe(1);
    expect((await get('/v1/quarantine', globex)).items).toHaveLength(1);
    expect((await get('/v1/quarantine', acme)).items).toHaveLength(0);
  });

  it('pages through events in time order and filters by type and time', async () => {
    const events = Array.from({ length: 7 }, (_, i) =>
      cloudEvent({ id: `e${i}`, time: `2026-11-20T0${i}:00:00Z`, type: i % 2 ? 'odd' : 'even' }),
    );
    await post(events);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: { id: string }[]; next_cursor: string | null } = await get(
        `/v1/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.events.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    const window = await get('/v1/events?type=even&from=2026-11-20T02:00:00Z&to=2026-11-20T06:00:00Z');
    expect(window.events.map((e: { id: string }) => e.id)).toEqual(['e2', 'e4']);
    const stats = await get('/v1/events/stats');
    expect(stats.by_type).toEqual([
      expect.objectContaining({ type: 'even', count: 4 }),
      expect.objectContaining({ type: 'odd', count: 3 }),
    ]);
  });

  it('rejects a forged cursor and bad query parameters with 400', async () => {
    expect(await get('/v1/events?cursor=bm90LWEtY3Vyc29y')).toMatchObject({ code: 'CURSOR_INVALID' });
    expect(await get('/v1/events?limit=0')).toMatchObject({ code: 'QUERY_INVALID' });
    expect(await get('/v1/events?from=last-week')).toMatchObject({ code: 'QUERY_INVALID' });
  });
});
