import { readFile } from 'node:fs/promises';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const DATA = new URL('../data/', import.meta.url);

/** An official JSON schema from test/data/, as a validator that lists every violation. */
export async function officialSchema(path: string): Promise<(doc: unknown) => string[]> {
  const schema = JSON.parse(await readFile(new URL(path, DATA), 'utf8')) as { $schema?: string };
  if (schema.$schema !== 'https://json-schema.org/draft/2020-12/schema') throw new Error(`${path}: expected a draft 2020-12 schema, got ${schema.$schema}`);
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map(describe));
}

function describe(error: ErrorObject): string {
  return `${error.instancePath || '/'} ${error.message ?? error.keyword}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`;
}
