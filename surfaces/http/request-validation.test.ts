import { describe, expect, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { useWarehouse } from '../../test/support/engines.ts';

describe('request validation: bodies keep their JSON types, query strings are text', () => {
  const db = useWarehouse('duckdb');
  const server = useApi(db);

  it('refuses a body field of the wrong JSON type instead of converting it, and still reads "5" in a query as 5', async () => {
    const token = await server.api.principal('alice', 'acme', 'operator');
    const headers = { authorization: `Bearer ${token}` };
    for (const payload of [{ type: 'Asset', name: 123 }, { type: 'Asset', name: true }, { type: 'Asset', name: 'ok', attributes: 'not-an-object' }]) {
      const reply = await server.api.app.inject({ method: 'POST', url: '/v1/entities', headers, payload });
      expect([reply.statusCode, reply.json().code], JSON.stringify(payload)).toEqual([400, 'ENTITY_INVALID']);
    }
    const page = await server.api.app.inject({ url: '/v1/entities?limit=5', headers });
    expect(page.statusCode, page.body).toBe(200);
    expect(await server.api.app.platform.state.query('SELECT entity_id FROM entities')).toEqual([]);
  });
});
