/**
 * The API's clients, generated from its OpenAPI document (`npm run clients:generate`):
 *
 * - `clients/typescript/schema.ts`: TypeScript types of every path, by openapi-typescript;
 *   `clients/typescript/index.ts` wraps them in an openapi-fetch client;
 * - `clients/postman/companyos.postman_collection.json`: a Postman collection v2.1, by
 *   openapi-to-postmanv2.
 *
 * Both are deterministic: the same document gives byte-identical files
 * (`clients/clients-fresh.test.ts` fails when the committed ones are stale).
 */
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER, transformSchemaObject, type ObjectSubtype, type OpenAPI3, type SchemaObject, type TransformNodeOptions } from 'openapi-typescript';
import { convertV2 } from 'openapi-to-postmanv2';

export const REGENERATE_COMMAND = 'npm run clients:generate';

export const SDK_TYPES_FILE = new URL('./typescript/schema.ts', import.meta.url);
export const POSTMAN_COLLECTION_FILE = new URL('./postman/companyos.postman_collection.json', import.meta.url);

/** The Postman variables the collection uses: where the platform is, and the bearer token (`companyos token`). */
export const POSTMAN_VARIABLES = { baseUrl: 'baseUrl', token: 'token' } as const;

/**
 * TypeScript types of the document's paths, operations and components.
 *
 * One change to what openapi-typescript writes by default: an object schema
 * with `properties` and a typed `additionalProperties` (the CloudEvent: its
 * extension attributes are strings, numbers or booleans) becomes
 * `{ …properties } & { [key: string]: unknown }`. In JSON Schema the
 * additional-properties schema covers only the undeclared members; a
 * TypeScript index signature covers every member, so typed as the extensions
 * are, it would refuse an event whose `data` is an object.
 */
export async function generateSdkTypes(document: object): Promise<string> {
  const ast = await openapiTS(document as OpenAPI3, {
    transform(schema: SchemaObject, options: TransformNodeOptions) {
      if (!declaresPropertiesAndTypedExtras(schema)) return undefined;
      return transformSchemaObject({ ...schema, additionalProperties: true }, options);
    },
  });
  return `${COMMENT_HEADER}// Regenerate with \`${REGENERATE_COMMAND}\` (clients/generate.ts), never by hand.\n\n${astToString(ast)}`;
}

function declaresPropertiesAndTypedExtras(schema: SchemaObject): schema is SchemaObject & ObjectSubtype {
  if (!('properties' in schema) || !schema.properties || Object.keys(schema.properties).length === 0) return false;
  const extras = 'additionalProperties' in schema ? schema.additionalProperties : undefined;
  return typeof extras === 'object' && extras !== null && Object.keys(extras).length > 0;
}

const require = createRequire(import.meta.url);
/** openapi-to-postmanv2's own json-schema-faker (one module instance: the converter's). */
const schemaFaker = require('openapi-to-postmanv2/assets/json-schema-faker.js') as { option(options: { random: () => number }): void };

interface PostmanNode {
  id?: string;
  item?: PostmanNode[];
  response?: { id?: string }[];
}

interface PostmanCollection extends PostmanNode {
  info: { _postman_id?: string; name: string; schema: string };
  auth?: { type: string; bearer?: { key: string; value: string; type: string }[] };
  variable?: { key: string; value: string; type?: string; description?: string }[];
}

/**
 * A Postman collection v2.1 of every operation, one folder per tag, with
 * `{{baseUrl}}` and bearer auth from `{{token}}` (collection variables).
 */
export async function generatePostmanCollection(document: object): Promise<string> {
  // Example values the converter fakes (an enum's member, a number) come from a seeded generator, not Math.random.
  schemaFaker.option({ random: seededRandom(0x5eed) });
  const collection = await new Promise<PostmanCollection>((resolve, reject) => {
    convertV2(
      { type: 'json', data: structuredClone(document) },
      { folderStrategy: 'Tags', requestNameSource: 'Fallback', parametersResolution: 'Schema' },
      (error, result) => {
        if (error) return reject(new Error(`openapi-to-postmanv2: ${error.message}`));
        const output = result?.result ? result.output?.[0] : undefined;
        if (!output) return reject(new Error(`openapi-to-postmanv2 refused the document: ${result?.reason ?? 'no output'}`));
        // The converter's output, as the collection format (v2.1) defines it: the fields touched below are optional there.
        resolve(output.data as PostmanCollection);
      },
    );
  });
  // The converter gives the collection and each item and response a random UUID; Postman assigns its own on import.
  delete collection.info._postman_id;
  withoutIds(collection);
  useTokenVariable(collection);
  return `${JSON.stringify(collection, null, 2)}\n`;
}

function withoutIds(node: PostmanNode): void {
  delete node.id;
  for (const response of node.response ?? []) delete response.id;
  for (const child of node.item ?? []) withoutIds(child);
}

/** The converter names the bearer token `{{bearerToken}}` and declares no variable for it: `{{token}}`, declared empty. */
function useTokenVariable(collection: PostmanCollection): void {
  for (const entry of collection.auth?.bearer ?? []) {
    if (entry.key === 'token') entry.value = `{{${POSTMAN_VARIABLES.token}}}`;
  }
  const variables = collection.variable ?? (collection.variable = []);
  const baseUrl = variables.find((v) => v.key === POSTMAN_VARIABLES.baseUrl);
  if (baseUrl) baseUrl.description = 'Where the platform listens (`companyos start` prints it).';
  variables.push({
    key: POSTMAN_VARIABLES.token,
    value: '',
    type: 'string',
    description: 'A bearer token: `npx companyos token --tenant T --role R` (or the one `companyos start` prints).',
  });
}

/** Park–Miller: the same sequence from the same seed. */
function seededRandom(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 16807) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

export interface GeneratedClients {
  sdkTypes: string;
  postmanCollection: string;
}

export async function generateClients(document: object): Promise<GeneratedClients> {
  return { sdkTypes: await generateSdkTypes(document), postmanCollection: await generatePostmanCollection(document) };
}

/** `npm run clients:generate`: surfaces/http/openapi.json from the route schemas, then the clients from it. */
async function main(): Promise<void> {
  const { COMMITTED_OPENAPI, formatOpenApiDocument, renderOpenApiDocument } = await import('../surfaces/http/index.ts');
  const document = await renderOpenApiDocument();
  const clients = await generateClients(document);
  await writeFile(COMMITTED_OPENAPI, formatOpenApiDocument(document));
  await writeFile(SDK_TYPES_FILE, clients.sdkTypes);
  await writeFile(POSTMAN_COLLECTION_FILE, clients.postmanCollection);
  for (const file of [COMMITTED_OPENAPI, SDK_TYPES_FILE, POSTMAN_COLLECTION_FILE]) console.log(`wrote ${fileURLToPath(file)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
