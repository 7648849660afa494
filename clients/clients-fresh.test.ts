import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderOpenApiDocument } from '../surfaces/http/openapi/openapi-document.ts';
import { generateClients, generatePostmanCollection, POSTMAN_COLLECTION_FILE, REGENERATE_COMMAND, SDK_TYPES_FILE } from './generate.ts';

/** The committed clients are what the served OpenAPI document generates, byte for byte. */
describe('the generated clients', () => {
  it('are fresh: the committed SDK types and Postman collection are what the served document generates', { timeout: 120_000 }, async () => {
    const document = await renderOpenApiDocument();
    const generated = await generateClients(document);
    const stale = (file: URL) => `${fileURLToPath(file)} is stale: run \`${REGENERATE_COMMAND}\` and commit the result`;
    expect(await readFile(SDK_TYPES_FILE, 'utf8'), stale(SDK_TYPES_FILE)).toBe(generated.sdkTypes);
    expect(await readFile(POSTMAN_COLLECTION_FILE, 'utf8'), stale(POSTMAN_COLLECTION_FILE)).toBe(generated.postmanCollection);
  });

  it('are generated deterministically: the same document twice gives the same collection', { timeout: 120_000 }, async () => {
    const document = await renderOpenApiDocument();
    expect(await generatePostmanCollection(document)).toBe(await generatePostmanCollection(document));
  });
});
