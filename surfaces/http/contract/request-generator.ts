import { generateSync } from 'json-schema-faker';
import type { ContractOperation, Parameter, Schema } from './contract-operations.ts';
import { check, checkParameters } from './schema-checks.ts';

/** A request to send through the server, and, for a request meant to be refused, which rule of the contract it breaks. */
export interface ContractRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  violates?: string;
}

const JSON_TYPES = /json$/;

/** Keeps generated requests small: the contract's limits are tested elsewhere (hostile-input.test.ts), not by sending 5,000-item batches a hundred times. */
const GENERATION = { maxItems: 3, optionalsProbability: 0.5, maxDepth: 4 } as const;

/** The schema without deprecated properties: a valid request sends today's spellings only. */
function current(schema: Schema): Schema {
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).filter(([, s]) => !s?.deprecated).map(([name, s]) => [name, current(s)]));
  }
  if (schema.items) out.items = current(schema.items);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) if (Array.isArray(schema[key])) out[key] = (schema[key] as Schema[]).map(current);
  return out;
}

function generate(schema: Schema, seed: number): unknown {
  return generateSync(current(schema) as never, { seed, ...GENERATION });
}

const asQueryValue = (value: unknown): string | string[] =>
  Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : typeof value === 'string' ? value : JSON.stringify(value);

/** Picks one of a list by seed. */
const pick = <T>(list: readonly T[], seed: number): T => list[Math.abs(seed) % list.length]!;

interface Parts {
  path: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  mediaType?: string;
  body?: unknown;
}

function validParts(op: ContractOperation, seed: number): Parts {
  const parts: Parts = { path: {}, query: {}, headers: {} };
  op.parameters.forEach((p: Parameter, i) => {
    if (p.in === 'cookie') return;
    const include = p.required || p.in === 'path' || (seed >> (i % 16)) % 2 === 0;
    if (!include || p.schema.deprecated) return;
    const value = generate(p.schema, seed + i);
    if (p.in === 'path') parts.path[p.name] = String(value);
    else if (p.in === 'query') parts.query[p.name] = asQueryValue(value);
    else if (p.in === 'header' && !/^(authorization|content-type|content-length)$/i.test(p.name)) parts.headers[p.name.toLowerCase()] = String(value);
  });
  const types = Object.keys(op.body);
  if (types.length) {
    parts.mediaType = types.find((t) => t === 'application/json') ?? pick(types, seed);
    parts.body = generate(op.body[parts.mediaType]!, seed + 97);
  }
  return parts;
}

function toRequest(op: ContractOperation, parts: Parts, token: string, violates?: string): ContractRequest {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(parts.path[name] ?? 'x'));
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parts.query)) for (const v of [value].flat()) search.append(name, v);
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...parts.headers };
  let payload: string | undefined;
  if (parts.mediaType) {
    headers['content-type'] = parts.mediaType === '*/*' ? 'application/octet-stream' : parts.mediaType;
    payload = JSON_TYPES.test(parts.mediaType) || typeof parts.body !== 'string' ? JSON.stringify(parts.body) : parts.body;
  }
  const query = search.toString();
  return { method: op.method, url: query ? `${path}?${query}` : path, headers, payload, violates };
}

/** Why the parts break the operation's schemas, or undefined when they satisfy them. */
function violation(op: ContractOperation, parts: Parts): string | undefined {
  const inQuery = checkParameters(op.parameters, 'query', parts.query);
  if (inQuery) return inQuery;
  const inPath = checkParameters(op.parameters, 'path', parts.path);
  if (inPath) return inPath;
  if (parts.mediaType && JSON_TYPES.test(parts.mediaType)) return check(op.body[parts.mediaType]!, parts.body);
  if (!parts.mediaType && op.bodyRequired) return 'no body';
  return undefined;
}

/** A request the contract says is valid, generated from the seed; undefined if the generator could not make one in a few tries. */
export function validRequest(op: ContractOperation, seed: number, token: string): ContractRequest | undefined {
  for (let attempt = 0; attempt < 20; attempt++) {
    const parts = validParts(op, seed * 31 + attempt);
    if (!violation(op, parts)) return toRequest(op, parts, token);
  }
  return undefined;
}

/** A value of another JSON type than the schema allows. */
function wrongType(schema: Schema, seed: number): unknown {
  const allowed = [schema.type ?? []].flat();
  const candidates: [string, unknown][] = [['object', { unexpected: true }], ['array', [1, 'two']], ['string', 'not-what-was-asked'], ['integer', 1.5e300], ['number', 'NaN?'], ['boolean', true], ['null', null]];
  const wrong = candidates.filter(([type]) => !allowed.includes(type) && !(type === 'integer' && allowed.includes('number')));
  return pick(wrong.length ? wrong : candidates, seed)[1];
}

type Mutation = (parts: Parts, seed: number) => string | undefined;

/** Ways to break a valid request, each saying what it broke (undefined when it does not apply to the operation). */
function mutations(op: ContractOperation): Mutation[] {
  const list: Mutation[] = [];
  const bodyType = Object.keys(op.body).find((t) => JSON_TYPES.test(t));
  if (bodyType) {
    const schema = op.body[bodyType]!;
    list.push((parts, seed) => {
      parts.mediaType = bodyType;
      parts.body = wrongType(schema, seed);
      return 'body of the wrong type';
    });
    const properties = Object.entries(schema.properties ?? {}).filter(([, s]) => !s.deprecated);
    if (schema.required?.length) {
      list.push((parts, seed) => {
        const name = pick(schema.required!, seed);
        if (!parts.body || typeof parts.body !== 'object') return undefined;
        parts.mediaType = bodyType;
        delete (parts.body as Record<string, unknown>)[name];
        return `body without required ${name}`;
      });
    }
    if (properties.length) {
      list.push((parts, seed) => {
        const [name, property] = pick(properties, seed);
        if (!parts.body || typeof parts.body !== 'object' || Array.isArray(parts.body)) return undefined;
        parts.mediaType = bodyType;
        (parts.body as Record<string, unknown>)[name] = property.maxLength !== undefined && seed % 2 === 0 ? 'x'.repeat(Number(property.maxLength) + 1) : wrongType(property, seed);
        return `body.${name} breaking its schema`;
      });
    }
  }
  const query = op.parameters.filter((p) => p.in === 'query' && !p.schema.deprecated);
  const constrained = query.filter((p) => p.schema.type !== 'string' || p.schema.enum || p.schema.pattern || p.schema.maxLength !== undefined || p.schema.format);
  if (constrained.length) {
    list.push((parts, seed) => {
      const p = pick(constrained, seed);
      parts.query[p.name] = p.schema.maxLength !== undefined && seed % 3 === 0 ? 'y'.repeat(Number(p.schema.maxLength) + 1) : pick(['not-a-valid-value', '-1e999', '☃', ''], seed);
      return `query ${p.name} breaking its schema`;
    });
  }
  const requiredQuery = query.filter((p) => p.required);
  if (requiredQuery.length) {
    list.push((parts, seed) => {
      const p = pick(requiredQuery, seed);
      delete parts.query[p.name];
      return `query without required ${p.name}`;
    });
  }
  const pathParams = op.parameters.filter((p) => p.in === 'path' && p.schema.maxLength !== undefined);
  if (pathParams.length) {
    list.push((parts, seed) => {
      const p = pick(pathParams, seed);
      parts.path[p.name] = 'z'.repeat(Number(p.schema.maxLength) + 1);
      return `path ${p.name} longer than its maxLength`;
    });
  }
  return list;
}

/** Whether the operation's schemas constrain anything a request could break. */
export const canBeBroken = (op: ContractOperation): boolean => mutations(op).length > 0;

/** A request that breaks the operation's schemas (checked with the schema, not assumed); undefined when no mutation applies. */
export function invalidRequest(op: ContractOperation, seed: number, token: string): ContractRequest | undefined {
  const options = mutations(op);
  if (!options.length) return undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    const s = seed * 17 + attempt;
    const parts = validParts(op, s);
    const broke = pick(options, s + attempt)(parts, s);
    if (broke && violation(op, parts)) return toRequest(op, parts, token, broke);
  }
  return undefined;
}
