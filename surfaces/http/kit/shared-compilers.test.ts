import { describe, expect, it } from 'vitest';
import { buildSharedSerializer, sharedRequestValidators } from './shared-compilers.ts';

describe('schema compilers shared by the servers of a process', () => {
  const schema = () => ({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] });

  it('compiles a schema brought again as a new object once, and keeps bodies strict while text parts are coerced', () => {
    const validators = sharedRequestValidators([]);
    const body = validators.compile(schema(), 'body');
    expect(validators.compile(schema(), 'body')).toBe(body);
    expect(sharedRequestValidators([]).compile(schema(), 'body')).toBe(body);
    const query = validators.compile(schema(), 'querystring');
    expect(query).not.toBe(body);
    expect(body({ n: '5' })).toBe(false);
    expect(query({ n: '5' })).toBe(true);
    // Another schema is compiled for itself.
    expect(validators.compile({ ...schema(), required: [] }, 'body')({})).toBe(true);
  });

  it('serializes by each schema\'s own text, sharing the function between servers with the same shared schemas only', () => {
    const route = (properties: object) => ({ method: 'GET', url: '/x', httpStatus: '200', schema: { type: 'object', properties } });
    const first = buildSharedSerializer({}, {})(route({ a: { type: 'string' } }));
    expect(buildSharedSerializer({}, {})(route({ a: { type: 'string' } }))).toBe(first);
    expect(first({ a: 'x', b: 1 })).toBe('{"a":"x"}');
    expect(buildSharedSerializer({}, {})(route({ b: { type: 'integer' } }))({ a: 'x', b: 1 })).toBe('{"b":1}');
    const shared = { Thing: { $id: 'Thing', type: 'object', properties: { c: { type: 'string' } } } };
    expect(buildSharedSerializer(shared, {})(route({ a: { type: 'string' } }))).not.toBe(first);
  });
});
