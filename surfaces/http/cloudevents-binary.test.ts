import type { AddressInfo } from 'node:net';
import { CloudEvent, emitterFor, HTTP, httpTransport, type Message } from 'cloudevents';
import { beforeEach, describe, expect, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';

/**
 * CloudEvents content modes over HTTP, with the official `cloudevents` SDK as
 * the producer: binary mode (its emitter's default), structured and batched
 * mode are stored once each and read back the same.
 */
describe.each(TEST_ENGINES)('CloudEvents content modes over HTTP on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);
  let acme: string;
  beforeEach(async () => {
    acme = await server.api.token('acme');
  });

  /** The SDK's events: our required extensions and two optional ones, as strings (header values are strings). */
  const sdkEvent = (id: string, fields: Record<string, unknown>) =>
    new CloudEvent({
      id,
      source: 'urn:companyos:sdk-test',
      type: 'policy.decisions_total',
      time: '2026-11-20T12:00:00Z',
      subject: 'gateway/eu-1',
      dataschema: 'https://schemas.example.com/decision.json',
      tenantid: 'acme',
      policyversion: 'v7',
      plan: 'pro',
      slatier: 'gold',
      ...fields,
    });

  const payloads: [string, Record<string, unknown>][] = [
    ['JSON data', { datacontenttype: 'application/json', data: { value: 3, labels: ['a', 'b'] } }],
    ['JSON data without a datacontenttype (the SDK then sends application/json)', { data: { value: 4 } }],
    ['string data as text/plain', { datacontenttype: 'text/plain', data: 'hello, Zürich' }],
    ['string data with the default content type (sent as a bare string)', { data: 'just words' }],
    ['XML as a string', { datacontenttype: 'application/xml', data: '<decision allow="true"/>' }],
    ['binary data (Buffer)', { datacontenttype: 'application/octet-stream', data: Buffer.from([0, 1, 2, 254, 255]) }],
    ['binary data (Uint8Array) as image/png', { datacontenttype: 'image/png', data: Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]) }],
  ];

  const listen = async () => {
    await server.api.app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(server.api.app.server.address() as AddressInfo).port}/v1/events`;
  };
  const readBack = async () =>
    (await server.api.app.inject({ method: 'GET', url: '/v1/events?limit=100', headers: { authorization: `Bearer ${acme}` } })).json()
      .events as Record<string, unknown>[];
  const byId = (events: Record<string, unknown>[], id: string) => {
    const event = { ...events.find((candidate) => candidate.id === id)! };
    delete event.id;
    return event;
  };
  /** A message as the SDK produced it, sent with fetch plus the bearer token. */
  const send = (url: string, message: Message) =>
    fetch(url, {
      method: 'POST',
      headers: { ...(message.headers as Record<string, string>), authorization: `Bearer ${acme}` },
      body: message.body as string | Uint8Array,
    });

  it.each(payloads)('reads back %s sent by the SDK emitter (binary mode) as the same event sent in structured mode', async (_what, fields) => {
    const url = await listen();
    // The SDK's default emitter, unmodified: binary mode; httpTransport passes the emit options' headers on.
    const emit = emitterFor(httpTransport(url));
    const sent = await emit(sdkEvent('binary', fields), { headers: { authorization: `Bearer ${acme}` } });
    expect(JSON.parse((sent as { body: string }).body)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });

    // The same event in structured mode: the binary-mode request carried a Content-Type, which is its datacontenttype.
    const binaryContentType = HTTP.binary(sdkEvent('x', fields)).headers['content-type'] as string;
    const structured = HTTP.structured(sdkEvent('structured', { datacontenttype: binaryContentType, ...fields }));
    expect(structured.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect((await send(url, structured)).status).toBe(202);

    const events = await readBack();
    expect(byId(events, 'binary')).toEqual(byId(events, 'structured'));
    const expected = JSON.parse(JSON.stringify(sdkEvent('binary', { datacontenttype: binaryContentType, ...fields })));
    const stored = events.find((event) => event.id === 'binary')!;
    if (typeof fields.data === 'string') expect(stored.data).toBe(fields.data);
    if (fields.data instanceof Uint8Array) {
      expect(stored.data).toBeUndefined();
      expect(Buffer.from(stored.data_base64 as string, 'base64')).toEqual(Buffer.from(fields.data));
    }
    expect(stored).toEqual({ ...expected, time: expect.stringMatching(/^2026-11-20T12:00:00(\.000)?Z$/) });
  });

  it('treats a binary-mode event and the same event in structured mode as one event (dedupe)', async () => {
    const url = await listen();
    const event = sdkEvent('same', { datacontenttype: 'application/json', data: { value: 1 } });
    expect(await (await send(url, HTTP.binary(event))).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await (await send(url, HTTP.structured(event))).json()).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('reads back a batch of SDK events (batched mode) like the same events sent one by one in binary mode', async () => {
    const url = await listen();
    const fields = payloads.map(([, f]) => f);
    const batch = fields.map((f, i) => sdkEvent(`batch-${i}`, { datacontenttype: HTTP.binary(sdkEvent('x', f)).headers['content-type'], ...f }));
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8', authorization: `Bearer ${acme}` },
      body: JSON.stringify(batch),
    });
    expect(await response.json()).toEqual({ accepted: fields.length, duplicates: 0, rejected: [] });
    for (const [i, f] of fields.entries()) expect((await send(url, HTTP.binary(sdkEvent(`one-${i}`, f)))).status).toBe(202);
    const events = await readBack();
    for (const i of fields.keys()) expect(byId(events, `one-${i}`)).toEqual(byId(events, `batch-${i}`));
  });

  const binaryPost = (headers: Record<string, string>, payload?: string | Buffer) =>
    server.api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'b-1',
        'ce-source': 'urn:companyos:test',
        'ce-type': 'policy.decisions_total',
        'ce-tenantid': 'acme',
        'ce-policyversion': 'v7',
        authorization: `Bearer ${acme}`,
        ...headers,
      },
      payload,
    });

  it('percent-decodes ce- header values and unquotes quoted ones (HTTP binding 3.1.3.2)', async () => {
    const response = await binaryPost(
      { 'ce-subject': 'Euro%20%E2%82%AC%20%f0%9f%98%80', 'ce-feature': '"say \\"hi\\""', 'ce-region': '50% off', 'content-type': 'application/json' },
      '{"ok":true}',
    );
    expect(response.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const [event] = await readBack();
    expect(event).toMatchObject({ subject: 'Euro € 😀', feature: 'say "hi"', region: '50% off', data: { ok: true } });
  });

  it('refuses a ce- header that does not decode to UTF-8 with 400, storing nothing', async () => {
    const response = await binaryPost({ 'ce-subject': 'space%C0%A0overlong' }, undefined);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'CLOUDEVENTS_HEADER_INVALID' });
    expect(await readBack()).toEqual([]);
  });

  // (The SDK's httpTransport cannot send an event without data: it writes `undefined` as the body.)
  it('takes a binary-mode event without data, and with an empty body', async () => {
    expect((await binaryPost({})).json()).toMatchObject({ accepted: 1 });
    expect((await binaryPost({ 'ce-id': 'b-2', 'content-type': 'text/plain' }, '')).json()).toMatchObject({ accepted: 1 });
    const events = await readBack();
    expect(events.map((e) => [e.id, e.data, e.data_base64, e.datacontenttype])).toEqual([
      ['b-1', undefined, undefined, undefined],
      ['b-2', undefined, undefined, 'text/plain'],
    ]);
  });

  it('keeps text in another charset as bytes (data_base64), exactly', async () => {
    const latin1 = Buffer.from('café', 'latin1');
    expect((await binaryPost({ 'content-type': 'text/plain; charset=iso-8859-1' }, latin1)).json()).toMatchObject({ accepted: 1 });
    const [event] = await readBack();
    expect(Buffer.from(event!.data_base64 as string, 'base64')).toEqual(latin1);
  });

  it.each([
    ['without ce-tenantid', { 'ce-tenantid': undefined }, 'EVENT_MISSING_TENANT'],
    ['without ce-specversion (ce-id marks binary mode)', { 'ce-specversion': undefined }, 'EVENT_MISSING_SPECVERSION'],
    ['without ce-source', { 'ce-source': undefined }, 'EVENT_MISSING_SOURCE'],
    ['with ce-specversion 0.3', { 'ce-specversion': '0.3' }, 'EVENT_BAD_SPECVERSION'],
    ['with ce-specversion 2.0', { 'ce-specversion': '2.0' }, 'EVENT_BAD_SPECVERSION'],
    ['with a bad ce-time', { 'ce-time': 'yesterday' }, 'EVENT_INVALID_TIME'],
    ['with an extension name the spec forbids', { 'ce-Not_Allowed': 'x' }, 'EVENT_INVALID_ATTRIBUTE'],
  ])('parks a binary-mode event %s with its reason, as it parks the same structured event', async (_what, headers, code) => {
    const defined = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const request = server.api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: {
        ...Object.fromEntries(
          Object.entries({
            'ce-specversion': '1.0', 'ce-id': 'b-1', 'ce-source': 'urn:companyos:test', 'ce-type': 'policy.decisions_total',
            'ce-tenantid': 'acme', 'ce-policyversion': 'v7',
          }).filter(([name]) => !(name in headers)),
        ),
        ...defined,
        'content-type': 'application/json',
        authorization: `Bearer ${acme}`,
      },
      payload: '{"value":1}',
    });
    const response = await request;
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ accepted: 0, rejected: [{ index: 0, code }] });
    const parked = (await server.api.app.inject({ url: '/v1/quarantine', headers: { authorization: `Bearer ${acme}` } })).json();
    expect(parked.items).toEqual([expect.objectContaining({ reason_code: code, event_id: 'b-1' })]);
  });

  it('parks binary data whose base64 is larger than the data limit (EVENT_DATA_TOO_LARGE), and stores it up to the limit', async () => {
    // 64 KiB of base64 is 48 KiB of bytes.
    const tooLarge = await binaryPost({ 'content-type': 'application/octet-stream' }, Buffer.alloc(48 * 1024 + 1, 7));
    expect(tooLarge.json()).toMatchObject({ accepted: 0, rejected: [{ code: 'EVENT_DATA_TOO_LARGE' }] });
    const atLimit = await binaryPost({ 'ce-id': 'b-2', 'content-type': 'application/octet-stream' }, Buffer.alloc(48 * 1024, 7));
    expect(atLimit.json()).toMatchObject({ accepted: 1 });
  });

  it('refuses binary-mode JSON data that is not JSON with 400 BODY_NOT_JSON, as it refuses such a structured body', async () => {
    const response = await binaryPost({ 'content-type': 'application/vnd.companyos.decision+json' }, '{"value": oops');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'BODY_NOT_JSON' });
  });

  it('parks binary-mode JSON data nested too deep (EVENT_TOO_DEEP), as it parks such an event of a batch', async () => {
    const deep = `${'['.repeat(70)}1${']'.repeat(70)}`;
    const response = await binaryPost({ 'content-type': 'application/vnd.companyos.decision+json' }, deep);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ accepted: 0, rejected: [{ index: 0, code: 'EVENT_TOO_DEEP' }] });
  });

  it.each([
    ['structured mode in XML', { 'content-type': 'application/cloudevents+xml' }, '<event/>'],
    ['structured mode in Avro', { 'content-type': 'application/cloudevents+avro' }, 'Obj\u0001'],
    ['structured mode in Protobuf', { 'content-type': 'application/cloudevents+protobuf' }, '\n\u0001x'],
    ['batched mode in XML', { 'content-type': 'application/cloudevents-batch+xml' }, '<events/>'],
    ['a batch with ce- headers (batched binary mode)', { 'content-type': 'application/cloudevents-batch+json', 'ce-specversion': '1.0', 'ce-id': 'x' }, JSON.stringify([cloudEvent()])],
  ])('refuses %s with 415 CLOUDEVENTS_MODE_UNSUPPORTED, neither storing nor parking anything', async (_what, headers, payload) => {
    const response = await server.api.app.inject({
      method: 'POST', url: '/v1/events', headers: { ...headers, authorization: `Bearer ${acme}` }, payload,
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({ code: 'CLOUDEVENTS_MODE_UNSUPPORTED', message: expect.stringMatching(/\w+ \w+/) });
    expect(await readBack()).toEqual([]);
    const parked = (await server.api.app.inject({ url: '/v1/quarantine', headers: { authorization: `Bearer ${acme}` } })).json();
    expect(parked.items).toEqual([]);
  });

  it('keeps dataschema of a structured event (it used to be dropped)', async () => {
    const event = cloudEvent({ id: 's-1', dataschema: 'https://schemas.example.com/v1.json' });
    await server.api.app.inject({
      method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${acme}` }, payload: event,
    });
    expect((await readBack())[0]).toMatchObject({ dataschema: 'https://schemas.example.com/v1.json' });
  });

  it.each([
    ['data and data_base64 together', { data: { a: 1 }, data_base64: 'AAEC' }, 'EVENT_INVALID_ATTRIBUTE'],
    ['data_base64 that is not base64', { data: undefined, data_base64: 'not base64!' }, 'EVENT_INVALID_ATTRIBUTE'],
    ['data_base64 over the data limit', { data: undefined, data_base64: Buffer.alloc(48 * 1024 + 1).toString('base64') }, 'EVENT_DATA_TOO_LARGE'],
  ])('parks a structured event with %s', async (_what, fields, code) => {
    const response = await server.api.app.inject({
      method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${acme}` },
      payload: cloudEvent(fields),
    });
    expect(response.json()).toMatchObject({ accepted: 0, rejected: [{ code }] });
  });
});
