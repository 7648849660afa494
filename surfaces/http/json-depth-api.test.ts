import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../platform/ingest/index.ts';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
/** An event that nests `depth` deep in all (its data one less). */
const eventText = (id: string, depth: number) => JSON.stringify(cloudEvent({ id, data: '__DATA__' })).replace('"__DATA__"', nested(depth - 1));

describe.each(TEST_ENGINES)('JSON depth over HTTP on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);
  let acme: string;
  beforeEach(async () => {
    acme = await server.api.token('acme', 'admin');
  });
  const send = (method: 'POST' | 'PATCH', url: string, body: string, type = 'application/json') =>
    server.api.app.inject({ method, url, headers: { authorization: `Bearer ${acme}`, 'content-type': type }, payload: body });
  const stored = async () => (await db.warehouse.query<{ id: string }>('SELECT id FROM events ORDER BY id')).map((r) => r.id);
  const parked = async () => db.warehouse.query<{ reason_code: string; payload: string }>('SELECT reason_code, payload FROM events_quarantine ORDER BY batch_index');

  it('parks the deep event of an array batch with its reason and stores its neighbours', async () => {
    for (const type of ['application/json', 'application/cloudevents-batch+json']) {
      const body = `[${eventText(`a-${type}`, 3)}, ${nested(10_000)}, ${eventText(`b-${type}`, MAX_JSON_DEPTH)}]`;
      const response = await send('POST', '/v1/events', body, type);
      expect(response.statusCode, response.body).toBe(202);
      expect(response.json()).toMatchObject({ accepted: 2, rejected: [{ index: 1, code: 'EVENT_TOO_DEEP' }] });
    }
    expect(await stored()).toHaveLength(4);
    const rows = await parked();
    expect(rows.map((r) => r.reason_code)).toEqual(['EVENT_TOO_DEEP', 'EVENT_TOO_DEEP']);
    expect(rows[0]!.payload).toBe(nested(10_000));
  });

  it('parks a deep NDJSON line the same way', async () => {
    const response = await send('POST', '/v1/events', `${eventText('a', 2)}\n${nested(10_000)}\n${eventText('b', 2)}\n`, 'application/x-ndjson');
    expect(response.json()).toMatchObject({ accepted: 2, rejected: [{ index: 1, code: 'EVENT_TOO_DEEP' }] });
  });

  it('refuses a single body deeper than the limit with BODY_TOO_DEEP, on every JSON route, and takes one at the limit', async () => {
    for (const type of ['application/json', 'application/cloudevents+json']) {
      const response = await send('POST', '/v1/events', eventText('deep', MAX_JSON_DEPTH + 1), type);
      expect([response.statusCode, response.json().code]).toEqual([400, 'BODY_TOO_DEEP']);
    }
    expect((await send('POST', '/v1/events', eventText('ok', MAX_JSON_DEPTH))).json()).toMatchObject({ accepted: 1 });
    for (const url of ['/v1/entities', '/v1/policy/simulate', '/v1/edges']) {
      const response = await send('POST', url, `[${nested(10_000)}]`);
      expect([url, response.statusCode, response.json().code]).toEqual([url, 400, 'BODY_TOO_DEEP']);
    }
    expect(await stored()).toEqual(['ok']);
  });

  it('refuses a lone surrogate escape as not JSON, and takes a pair', async () => {
    const lone = await send('POST', '/v1/entities', '{"type":"Asset","name":"x\\ud800"}');
    expect([lone.statusCode, lone.json().code]).toEqual([400, 'BODY_NOT_JSON']);
    const pair = await send('POST', '/v1/entities', '{"type":"Asset","name":"x\\ud83d\\ude00"}');
    expect(pair.statusCode, pair.body).toBe(201);
  });
});
