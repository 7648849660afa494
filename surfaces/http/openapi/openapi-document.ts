import { DuckDBWarehouse } from '../../../kernel/warehouse/index.ts';
import { buildServer } from '../server.ts';
import { TokenAuthority } from '../../../platform/identity/index.ts';
import { migratePlatform } from '../../compose/index.ts';

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
}

/** Where the committed contract lives; `companyos openapi --out` writes it, a test compares the served document with it. */
export const COMMITTED_OPENAPI = new URL('../openapi.json', import.meta.url);

/** The OpenAPI document the server serves at /openapi.json, generated from the route schemas of a throwaway in-memory server. */
export async function renderOpenApiDocument(): Promise<OpenApiDocument> {
  const warehouse = await DuckDBWarehouse.open(':memory:');
  try {
    await migratePlatform(warehouse);
    const app = await buildServer({ warehouse, tokens: new TokenAuthority('openapi-document-needs-no-real-secret'), logLevel: 'silent' });
    try {
      await app.ready();
      return app.swagger() as OpenApiDocument;
    } finally {
      await app.close();
    }
  } finally {
    await warehouse.close();
  }
}

/** The document as committed: stable key order as generated, two-space indent, a final newline. */
export const formatOpenApiDocument = (document: object): string => `${JSON.stringify(document, null, 2)}\n`;
