import { dereference } from '@readme/openapi-parser';
import type { OpenApiDocument } from '../openapi/openapi-document.ts';

/** A JSON Schema as the document holds it (3.1: JSON Schema 2020-12 plus OpenAPI's own keywords). */
export type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  deprecated?: boolean;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

/** One operation of the contract, its $refs resolved: what the fuzz suite generates requests from and checks replies against. */
export interface ContractOperation {
  id: string;
  method: string;
  /** The path as the document writes it: `/v1/entities/{id}`. */
  path: string;
  parameters: Parameter[];
  /** Request body schemas by media type; empty when the operation takes no body. */
  body: Record<string, Schema>;
  bodyRequired: boolean;
  /** Response schemas by status, then media type. */
  responses: Record<string, Record<string, Schema | undefined>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

type RawOperation = {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};

/** Every operation of the document with its schemas inlined. */
export async function contractOperations(document: OpenApiDocument): Promise<ContractOperation[]> {
  const resolved = (await dereference(structuredClone(document) as never)) as unknown as OpenApiDocument;
  const operations: ContractOperation[] = [];
  for (const [path, item] of Object.entries(resolved.paths)) {
    for (const [method, raw] of Object.entries(item as Record<string, RawOperation>)) {
      if (!METHODS.includes(method)) continue;
      operations.push({
        id: raw.operationId ?? `${method} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: raw.parameters ?? [],
        body: Object.fromEntries(Object.entries(raw.requestBody?.content ?? {}).map(([type, media]) => [type, media.schema ?? {}])),
        bodyRequired: raw.requestBody?.required ?? false,
        responses: Object.fromEntries(
          Object.entries(raw.responses ?? {}).map(([status, response]) => [
            status,
            Object.fromEntries(Object.entries(response.content ?? {}).map(([type, media]) => [type, media.schema])),
          ]),
        ),
      });
    }
  }
  return operations;
}
