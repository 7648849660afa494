import { DomainError } from '../../../kernel/errors/index.ts';
import { matches, parseFilter, type Filter } from './scim-filter.ts';

export type ScimResource = Record<string, unknown>;

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

const CORE_SCHEMA = /^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i;
const PATH = /^(urn:[^[\]]+:)?([A-Za-z$][\w$-]*)(?:\[([^\]]+)\])?(?:\.([A-Za-z$][\w$-]*))?$/;
const READ_ONLY = new Set(['id', 'meta', 'schemas', 'groups']);

interface Target {
  /** The object the attribute is in: the resource, or an extension's object. */
  container: ScimResource;
  attribute: string;
  filter?: Filter;
  sub?: string;
}

/**
 * Applies a SCIM PATCH (RFC 7644 §3.5.2) to a copy of `resource`: `add`, `replace`, `remove` in any case
 * (Entra sends `Replace`), with or without a path; paths with a value filter (`members[value eq "…"]`,
 * `emails[type eq "work"].value`), sub-attributes (`name.givenName`) and extension URNs.
 */
export function applyPatch(resource: ScimResource, operations: readonly PatchOperation[]): ScimResource {
  const next = structuredClone(resource);
  for (const operation of operations) {
    const op = String(operation.op ?? '').toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw new DomainError('SCIM_INVALID_PATCH', `"${operation.op}" is not add, replace or remove.`);
    if (operation.path === undefined || operation.path === '') {
      if (op === 'remove') throw new DomainError('SCIM_NO_TARGET', 'A remove needs a path.');
      if (!operation.value || typeof operation.value !== 'object' || Array.isArray(operation.value)) {
        throw new DomainError('SCIM_INVALID_VALUE', 'An operation without a path needs an object of attributes as its value.');
      }
      for (const [path, value] of Object.entries(operation.value as ScimResource)) {
        if (/^urn:.*extension/i.test(path) && value && typeof value === 'object' && !Array.isArray(value)) {
          for (const [inner, innerValue] of Object.entries(value as ScimResource)) apply(next, op, `${path}:${inner}`, innerValue);
        } else {
          apply(next, op, path, value);
        }
      }
    } else {
      apply(next, op, operation.path, operation.value);
    }
  }
  return next;
}

function apply(resource: ScimResource, op: 'add' | 'replace' | 'remove', path: string, value: unknown): void {
  const target = resolve(resource, path, op !== 'remove');
  if (!target) return;
  const { container, attribute, filter, sub } = target;
  const current = container[attribute];
  if (filter) {
    const elements = Array.isArray(current) ? (current as ScimResource[]) : [];
    const matching = elements.filter((element) => element && typeof element === 'object' && matches(element, filter));
    if (op === 'remove') {
      if (sub) for (const element of matching) delete element[keyIn(element, sub)];
      else container[attribute] = elements.filter((element) => !matching.includes(element));
      return;
    }
    if (!matching.length) {
      // `emails[type eq "work"].value` on a user without a work email: the element is made.
      const equality = filter.length === 1 && filter[0]!.op === 'eq' ? filter[0]! : undefined;
      if (!equality || !sub) throw new DomainError('SCIM_NO_TARGET', `Nothing matches ${path}.`);
      container[attribute] = [...elements, { [equality.path]: equality.value, [sub]: value }];
      return;
    }
    for (const element of matching) {
      if (sub) element[keyIn(element, sub)] = value;
      else if (value && typeof value === 'object' && !Array.isArray(value)) Object.assign(element, value);
      else throw new DomainError('SCIM_INVALID_VALUE', `${path} needs an object.`);
    }
    return;
  }
  if (sub) {
    const object = current && typeof current === 'object' && !Array.isArray(current) ? (current as ScimResource) : {};
    if (op === 'remove') delete object[keyIn(object, sub)];
    else object[keyIn(object, sub)] = value;
    container[attribute] = object;
    return;
  }
  if (op === 'remove') {
    // Entra removes members by value: `{"op":"Remove","path":"members","value":[{"value":"…"}]}`.
    if (Array.isArray(current) && Array.isArray(value) && value.length) {
      const gone = new Set(value.map((item) => String((item as ScimResource)?.value)));
      container[attribute] = current.filter((element) => !gone.has(String((element as ScimResource)?.value)));
    } else {
      delete container[attribute];
    }
    return;
  }
  if (op === 'add' && Array.isArray(current) && value !== undefined) {
    const added = Array.isArray(value) ? value : [value];
    const present = new Set(current.map((element) => JSON.stringify((element as ScimResource)?.value ?? element)));
    container[attribute] = [...current, ...added.filter((element) => !present.has(JSON.stringify((element as ScimResource)?.value ?? element)))];
    return;
  }
  if (op === 'add' && current && typeof current === 'object' && !Array.isArray(current) && value && typeof value === 'object' && !Array.isArray(value)) {
    Object.assign(current, value);
    return;
  }
  container[attribute] = value;
}

function resolve(resource: ScimResource, path: string, create: boolean): Target | undefined {
  const match = PATH.exec(path.replace(CORE_SCHEMA, ''));
  if (!match) throw new DomainError('SCIM_INVALID_PATH', `"${path}" is not an attribute path this server reads.`);
  const [, urn, name, filterText, sub] = match;
  let container = resource;
  if (urn) {
    const schema = urn.slice(0, -1);
    const key = keyIn(resource, schema);
    if (!resource[key] || typeof resource[key] !== 'object') {
      if (!create) return undefined;
      resource[key] = {};
      const schemas = Array.isArray(resource.schemas) ? (resource.schemas as string[]) : [];
      if (!schemas.some((known) => known.toLowerCase() === schema.toLowerCase())) resource.schemas = [...schemas, schema];
    }
    container = resource[key] as ScimResource;
  }
  const attribute = keyIn(container, name!);
  if (!urn && READ_ONLY.has(attribute.toLowerCase())) throw new DomainError('SCIM_MUTABILITY', `${attribute} cannot be changed.`);
  return { container, attribute, filter: filterText ? parseFilter(filterText) : undefined, sub };
}

/** The key of `object` that `name` names, in any case; `name` itself when there is none yet. */
function keyIn(object: ScimResource, name: string): string {
  return Object.keys(object).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;
}
