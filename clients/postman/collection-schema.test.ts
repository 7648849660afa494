import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { POSTMAN_COLLECTION_FILE, POSTMAN_VARIABLES } from '../generate.ts';

/** The official Postman Collection v2.1.0 schema, draft-07 (test/data/postman/README.md says where it comes from). */
const SCHEMA_FILE = new URL('../../test/data/postman/collection.v2.1.0.draft-07.schema.json', import.meta.url);

describe('the Postman collection', () => {
  const load = async () => JSON.parse(await readFile(POSTMAN_COLLECTION_FILE, 'utf8')) as Record<string, unknown>;
  // strict: false because Ajv's strict mode refuses the schema's own style (`required` naming properties
  // only some branches declare, union types), not anything JSON Schema draft-07 forbids.
  const validator = async () => new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(await readFile(SCHEMA_FILE, 'utf8')) as object);

  it('is a valid Postman Collection v2.1', async () => {
    const collection = await load();
    const validate = await validator();
    const valid = validate(collection);
    expect(validate.errors ?? [], 'errors against the Collection v2.1.0 schema').toEqual([]);
    expect(valid).toBe(true);
    expect(collection.info).toMatchObject({ schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' });
  });

  it('the schema refuses a broken collection (it does validate)', async () => {
    const validate = await validator();
    expect(validate({ info: { schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' }, item: [{ name: 'x', request: { method: 42 } }] })).toBe(false);
  });

  it('sends every request to {{baseUrl}} with the bearer token {{token}}', async () => {
    const collection = await load();
    expect(collection.auth).toEqual({ type: 'bearer', bearer: [{ key: 'token', value: `{{${POSTMAN_VARIABLES.token}}}`, type: 'any' }] });
    const variables = collection.variable as { key: string; value: string }[];
    expect(variables.map((v) => v.key).sort()).toEqual([POSTMAN_VARIABLES.baseUrl, POSTMAN_VARIABLES.token].sort());
    const hosts: string[] = [];
    const walk = (items: { item?: unknown[]; request?: { url: { host?: string[] } } }[]) => {
      for (const item of items) {
        if (item.request) hosts.push((item.request.url.host ?? []).join('.'));
        if (item.item) walk(item.item as typeof items);
      }
    };
    walk(collection.item as Parameters<typeof walk>[0]);
    expect(hosts.length).toBeGreaterThan(10);
    expect(hosts.filter((host) => host !== `{{${POSTMAN_VARIABLES.baseUrl}}}`)).toEqual([]);
  });
});
